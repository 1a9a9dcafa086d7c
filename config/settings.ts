import type { GpuInstanceInfo } from "../sagemaker/instanceTypes";
import type { ModelCacheSettings } from "./modelCacheConfig";
import type { ProductionSettings } from "./productionConfig";
import type { TopologySettings } from "./topologyConfig";

/**
 * Validated stack settings (the output of `parseSettings`), the input of `GpuModelEndpoint`.
 * Each field comes from config key `gpu-multi-model-endpoint:<field>` unless noted. Its default, range and
 * meaning are written once, in config/schema.ts (the entry of the same key; rendered into Pulumi.yaml and
 * docs/configuration.md); "unset" below means the key's "not set" default.
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
    /** Model directory to package, relative to the project root or absolute. */
    modelDir: string;
    /**
     * How the model directory reaches /opt/ml/model. "archive": one content-addressed model.tar.gz
     * (`primaryContainer.modelDataUrl`). "uncompressed": every file as its own S3 object under
     * `<artifactPrefix>/<id>/` (id = first 16 hex of the sha256 over the sorted `sha256 size path` lines) and
     * `primaryContainer.modelDataSource` (S3Prefix, CompressionType None): nothing compressed locally, SageMaker
     * copies the files without un-tarring. Works with network isolation, VPC, KMS and modelDataDownloadTimeoutInSeconds
     * like the archive; file names SageMaker rejects (blank, ".", "..", over 255 bytes) are errors.
     */
    modelDataMode: "archive" | "uncompressed";
    /**
     * Existing S3 bucket for the artifacts (S3 naming rules: config/names.ts). When unset the stack creates a
     * private, encrypted, TLS-only bucket.
     */
    artifactBucket?: string;
    /** S3 key prefix of the artifacts, no leading/trailing "/" (rules: config/scope.ts). */
    artifactPrefix: string;
    /**
     * KMS key ARN (same region) for the artifacts' server-side encryption; the role gets kms:Decrypt on it.
     * Passed to the endpoint configuration only for instance types without local NVMe storage. Unset: SSE-S3.
     */
    kmsKeyArn?: string;
    /**
     * Delete the created bucket with its objects on `pulumi destroy` (and let the generation ledger delete old
     * archives). When false the bucket and the archives are retained on delete. Dev stack: true.
     */
    forceDestroyArtifacts: boolean;
    /** Existing execution role ARN; when unset a least-privilege role is created. */
    executionRoleArn?: string;
    /**
     * Container image URI: `image` verbatim, or the PyTorch inference GPU DLC resolved from
     * frameworkVersion, pythonVersion and region. Conflicts: `image` with a non-default frameworkVersion/pythonVersion.
     */
    imageUri: string;
    /** "config" when imageUri is `image` verbatim, "dlc" when resolved. */
    imageSource: "config" | "dlc";
    /** Full PyTorch version of the DLC (aliases resolved, e.g. 2.5 -> 2.5.1); undefined with `image`. */
    frameworkVersion?: string;
    /** Python of the DLC (per version, sagemaker/imageUri.ts); undefined with `image`. */
    pythonVersion?: string;
    /** GPU instance type SageMaker accepts (the GPU table of sagemaker/instanceTypes.ts). */
    instanceType: string;
    /** GPU facts of instanceType (GPU count, memory per GPU, instance storage). */
    gpu: GpuInstanceInfo;
    /** Instances behind the variant (upper bound in practice: the account quota). */
    initialInstanceCount: number;
    /**
     * EBS volume per instance in GB; only for types without local NVMe storage (p3); undefined when unset.
     * Conflicts: instance types with instance storage.
     */
    volumeSizeInGb?: number;
    /** Seconds the container may take to pass /ping after start. */
    containerStartupHealthCheckTimeoutInSeconds: number;
    /** Seconds SageMaker may take to download (and, for the archive, extract) the model data. */
    modelDataDownloadTimeoutInSeconds: number;
    /** Endpoint name (SageMaker pattern, config/names.ts); `<project>-<stack>` when unset. */
    endpointName: string;
    /** Production variant name (SageMaker pattern, config/names.ts). */
    variantName: string;
    /**
     * SAGEMAKER_MODEL_SERVER_WORKERS. Each worker is its own process with its own model cache; TorchServe gives
     * GPUs to workers round-robin (WorkLoadManager.addThreads), so on a multi-GPU instance ceil(workers / gpuCount) workers share each GPU.
     * Conflicts: environment.SAGEMAKER_MODEL_SERVER_WORKERS.
     */
    modelServerWorkers: number;
    /** SAGEMAKER_CONTAINER_LOG_LEVEL as a Python level number (config: a level name or number, LOG_LEVELS in config/schema.ts). */
    containerLogLevel: number;
    /**
     * Extra container environment (limits: sagemaker/containerEnv.ts).
     * Conflicts: the program's own keys (RESERVED_ENV_KEYS in containerEnv.ts: SAGEMAKER_*, TF_FORCE_GPU_ALLOW_GROWTH,
     * CA_REPOSITORY_ARN, MODEL_CACHE_*, MODEL_LOAD_RETRY_SECONDS).
     */
    environment: Record<string, string>;
    /**
     * The router's model cache, passed as MODEL_CACHE_BYTES / MODEL_CACHE_FRACTION / MODEL_LOAD_RETRY_SECONDS /
     * MODEL_CACHE_WAIT_SECONDS only for the fields set; {} leaves the handler's defaults (model-src/code/mme/cache_defaults.json).
     * Conflicts: bytes with fraction.
     */
    modelCache: ModelCacheSettings;
    /** Subnets for the model's VPC config. Conflicts: requires vpcSecurityGroupIds. */
    vpcSubnetIds: string[];
    /** Security groups for the model's VPC config. Conflicts: requires vpcSubnetIds. */
    vpcSecurityGroupIds: string[];
    /** Model network isolation (no outbound network; code/requirements.txt cannot be pip-installed). */
    enableNetworkIsolation: boolean;
    /** Protect the Endpoint from deletion (`pulumi destroy` fails until unprotected). Prod stack: true. */
    protectEndpoint: boolean;
    /**
     * Production rollout: autoscaling, alarms, deployment policy, data capture, CodeArtifact.
     * Each part is undefined when off (every key's default), so the dev stack declares none of them.
     */
    production: ProductionSettings;
    /**
     * Endpoint topology (topologyConfig.ts): `router` (default) or `components` with managed instance scaling and the copies
     * per model. Conflicts (components): modelDataMode uncompressed, autoscaling (the variant's), initialInstanceCount outside
     * componentsMinInstanceCount..componentsMaxInstanceCount.
     */
    topology: TopologySettings;
}
