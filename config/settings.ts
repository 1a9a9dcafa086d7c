import type { GpuInstanceInfo } from "../sagemaker/instanceTypes";
import type { ModelCacheSettings } from "./modelCacheConfig";
import type { ProductionSettings } from "./productionConfig";
import type { TopologySettings } from "./topologyConfig";

/**
 * Validated stack settings (the output of `parseSettings`), the input of `GpuModelEndpoint`.
 * Each field comes from config key `gpu-multi-model-endpoint:<field>` unless noted.
 */
export interface Settings {
    /** Pulumi project name (from the program context). */
    project: string;
    /** Pulumi stack name (from the program context). */
    stack: string;
    /** AWS region of the stack, from `aws:region`. Required; no default. */
    region: string;
    /** ARN partition derived from the region: aws, aws-cn or aws-us-gov. */
    partition: string;
    /** Model directory to package, relative to the project root or absolute. @default "model-src" */
    modelDir: string;
    /**
     * How the model directory reaches /opt/ml/model. "archive": one content-addressed model.tar.gz
     * (`primaryContainer.modelDataUrl`). "uncompressed": every file as its own S3 object under
     * `<artifactPrefix>/<id>/` (id = first 16 hex of the sha256 over the sorted `sha256 size path` lines) and
     * `primaryContainer.modelDataSource` (S3Prefix, CompressionType None): nothing compressed locally, SageMaker
     * copies the files without un-tarring. Works with network isolation, VPC, KMS and modelDataDownloadTimeoutInSeconds
     * like the archive; file names SageMaker rejects (blank, ".", "..", over 255 bytes) are errors. @default "archive"
     */
    modelDataMode: "archive" | "uncompressed";
    /**
     * Existing S3 bucket for the artifacts (3-63 chars, lowercase). When unset the stack creates a
     * private, encrypted, TLS-only bucket. @default undefined (config "")
     */
    artifactBucket?: string;
    /** S3 key prefix of the artifacts, no leading/trailing "/" (1-512 chars). @default "models" */
    artifactPrefix: string;
    /**
     * KMS key ARN (same region) for the artifacts' server-side encryption; the role gets kms:Decrypt on it.
     * Passed to the endpoint configuration only for instance types without local NVMe storage.
     * @default undefined (SSE-S3, config "")
     */
    kmsKeyArn?: string;
    /**
     * Delete the created bucket with its objects on `pulumi destroy` (and let the generation ledger delete old
     * archives). When false the bucket and the archives are retained on delete. Dev stack: true. @default false
     */
    forceDestroyArtifacts: boolean;
    /** Existing execution role ARN; when unset a least-privilege role is created. @default undefined (config "") */
    executionRoleArn?: string;
    /**
     * Container image URI: `image` verbatim, or the PyTorch inference GPU DLC resolved from
     * frameworkVersion, pythonVersion and region. Conflicts: `image` with a non-default frameworkVersion/pythonVersion.
     */
    imageUri: string;
    /** "config" when imageUri is `image` verbatim, "dlc" when resolved. */
    imageSource: "config" | "dlc";
    /** Full PyTorch version of the DLC (aliases resolved, e.g. 2.5 -> 2.5.1); undefined with `image`. @default "2.5.1" */
    frameworkVersion?: string;
    /** Python of the DLC (py310 | py311 | py312, per version); undefined with `image`. @default "py311" */
    pythonVersion?: string;
    /** GPU instance type SageMaker accepts (families g4dn, g5, g6, g6e, p3, p4d, p5). @default "ml.g4dn.xlarge" */
    instanceType: string;
    /** GPU facts of instanceType (GPU count, memory per GPU, instance storage). */
    gpu: GpuInstanceInfo;
    /** Instances behind the variant, >= 1 (upper bound: account quota). @default 1 */
    initialInstanceCount: number;
    /**
     * EBS volume per instance in GB (1-512); only for types without local NVMe storage (p3).
     * Conflicts: instance types with instance storage. @default undefined (config 0)
     */
    volumeSizeInGb?: number;
    /** Seconds the container may take to pass /ping after start (60-3600). @default 900 */
    containerStartupHealthCheckTimeoutInSeconds: number;
    /** Seconds SageMaker may take to download (and, for the archive, extract) the model data (60-3600). @default 600 */
    modelDataDownloadTimeoutInSeconds: number;
    /** Endpoint name (SageMaker pattern, <= 63 chars). @default "<project>-<stack>" (config "") */
    endpointName: string;
    /** Production variant name (SageMaker pattern, <= 63 chars). @default "AllTraffic" */
    variantName: string;
    /**
     * SAGEMAKER_MODEL_SERVER_WORKERS (1-64). Each worker is its own process with its own model cache; TorchServe gives
     * GPUs to workers round-robin (WorkLoadManager.addThreads), so on a multi-GPU instance ceil(workers / gpuCount) workers share each GPU.
     * Conflicts: environment.SAGEMAKER_MODEL_SERVER_WORKERS. @default 1
     */
    modelServerWorkers: number;
    /** SAGEMAKER_CONTAINER_LOG_LEVEL as a Python level number (config: DEBUG/INFO/WARNING/ERROR/CRITICAL or 10-50). @default 20 (INFO) */
    containerLogLevel: number;
    /**
     * Extra container environment (<= 89 entries, names [A-Za-z_][A-Za-z0-9_]*, values <= 1024 chars).
     * Conflicts: the program's own keys (RESERVED_ENV_KEYS in containerEnv.ts: SAGEMAKER_*, TF_FORCE_GPU_ALLOW_GROWTH,
     * CA_REPOSITORY_ARN, MODEL_CACHE_*, MODEL_LOAD_RETRY_SECONDS). @default {}
     */
    environment: Record<string, string>;
    /**
     * The router's model cache, passed as MODEL_CACHE_BYTES / MODEL_CACHE_FRACTION / MODEL_LOAD_RETRY_SECONDS /
     * MODEL_CACHE_WAIT_SECONDS only for the fields set. Conflicts: bytes with fraction. Keys: modelCacheConfig.ts.
     * @default {} (inference.py's defaults: 0.5 / ceil(workers / GPUs) of the GPU's memory, retry after 5 s, wait 30 s)
     */
    modelCache: ModelCacheSettings;
    /** Subnets for the model's VPC config (1-16 subnet-ids). Conflicts: requires vpcSecurityGroupIds. @default [] */
    vpcSubnetIds: string[];
    /** Security groups for the model's VPC config (1-5 sg-ids). Conflicts: requires vpcSubnetIds. @default [] */
    vpcSecurityGroupIds: string[];
    /** Model network isolation (no outbound network; code/requirements.txt cannot be pip-installed). @default false */
    enableNetworkIsolation: boolean;
    /** Protect the Endpoint from deletion (`pulumi destroy` fails until unprotected). Prod stack: true. @default false */
    protectEndpoint: boolean;
    /**
     * Production rollout: autoscaling, alarms, deployment policy, data capture, CodeArtifact.
     * Each part is undefined when off (every key's default), so the dev stack declares none of them.
     * Keys and defaults: config/productionConfigKeys.ts.
     */
    production: ProductionSettings;
    /**
     * Endpoint topology (topologyConfig.ts): `router` (default) or `components` with managed instance scaling and the copies
     * per model. Conflicts (components): modelDataMode uncompressed, autoscaling (the variant's), initialInstanceCount outside
     * componentsMinInstanceCount..componentsMaxInstanceCount. @default { topology: "router" }
     */
    topology: TopologySettings;
}
