/**
 * GPU instance types for the endpoint: a pure table (sources: SageMaker Python SDK `instance_gpu_info.json`
 * for g4dn, g5, p3, p4d, p5; AWS instance pages for g6, g6e and the single-GPU p5.4xlarge),
 * checked against the `ProductionVariantInstanceType` list `@aws-sdk/client-sagemaker` exports.
 */
import { ProductionVariantInstanceType } from "@aws-sdk/client-sagemaker";

const GIB = 1024 ** 3;
const GB = 1000 ** 3;

/** One GPU family (`ml.<family>.*`). */
export interface GpuFamily {
    family: string;
    gpu: string;
    /** GPUs per instance size, keyed by size (`xlarge`, `12xlarge`, ...). */
    gpusBySize: Record<string, number>;
    /** Memory of one GPU in bytes. */
    memoryPerGpuBytes: number;
    /** Human form as the source states it (GiB or GB). */
    memoryPerGpu: string;
    /**
     * The instance has local NVMe storage: SageMaker rejects `VolumeSizeInGB` and an
     * endpoint-configuration `KmsKeyId` for it (the local volume is encrypted in hardware).
     */
    instanceStorage: boolean;
}

const sizes = (entries: Array<[number, string[]]>): Record<string, number> =>
    Object.fromEntries(entries.flatMap(([n, names]) => names.map((s) => [s, n] as const)));

const ONE_TO_16 = ["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"];

/** The GPU families the program accepts, in the order they are listed to users. */
export const GPU_FAMILIES: readonly GpuFamily[] = [
    { family: "g4dn", gpu: "NVIDIA T4", gpusBySize: sizes([[1, ONE_TO_16], [4, ["12xlarge"]]]),
      memoryPerGpuBytes: 16 * GIB, memoryPerGpu: "16 GiB", instanceStorage: true },
    { family: "g5", gpu: "NVIDIA A10G", gpusBySize: sizes([[1, ONE_TO_16], [4, ["12xlarge", "24xlarge"]], [8, ["48xlarge"]]]),
      memoryPerGpuBytes: 24 * GIB, memoryPerGpu: "24 GiB", instanceStorage: true },
    { family: "g6", gpu: "NVIDIA L4", gpusBySize: sizes([[1, ONE_TO_16], [4, ["12xlarge", "24xlarge"]], [8, ["48xlarge"]]]),
      memoryPerGpuBytes: 24 * GB, memoryPerGpu: "24 GB", instanceStorage: true },
    { family: "g6e", gpu: "NVIDIA L40S", gpusBySize: sizes([[1, ONE_TO_16], [4, ["12xlarge", "24xlarge"]], [8, ["48xlarge"]]]),
      memoryPerGpuBytes: 48 * GB, memoryPerGpu: "48 GB", instanceStorage: true },
    { family: "p3", gpu: "NVIDIA V100", gpusBySize: sizes([[1, ["2xlarge"]], [4, ["8xlarge"]], [8, ["16xlarge"]]]),
      memoryPerGpuBytes: 16 * GIB, memoryPerGpu: "16 GiB", instanceStorage: false },
    { family: "p4d", gpu: "NVIDIA A100", gpusBySize: sizes([[8, ["24xlarge"]]]),
      memoryPerGpuBytes: 40 * GB, memoryPerGpu: "40 GB", instanceStorage: true },
    { family: "p5", gpu: "NVIDIA H100", gpusBySize: sizes([[1, ["4xlarge"]], [8, ["48xlarge"]]]),
      memoryPerGpuBytes: 80 * GB, memoryPerGpu: "80 GB", instanceStorage: true },
];

/** What one GPU instance type offers. */
export interface GpuInstanceInfo {
    instanceType: string;
    family: string;
    gpu: string;
    gpuCount: number;
    memoryPerGpuBytes: number;
    /** gpuCount * memoryPerGpuBytes. */
    totalGpuMemoryBytes: number;
    instanceStorage: boolean;
}

/** Every instance type SageMaker accepts for a production variant (from the AWS SDK). */
export const SAGEMAKER_INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(ProductionVariantInstanceType));

/** Pure lookup: the GPU facts of `instanceType`, or undefined when it is not in the GPU table. */
export function gpuInstanceInfo(instanceType: string): GpuInstanceInfo | undefined {
    const m = /^ml\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceType);
    if (!m) return undefined;
    const fam = GPU_FAMILIES.find((f) => f.family === m[1]);
    const gpuCount = fam?.gpusBySize[m[2]];
    if (!fam || gpuCount === undefined) return undefined;
    return {
        instanceType, family: fam.family, gpu: fam.gpu, gpuCount,
        memoryPerGpuBytes: fam.memoryPerGpuBytes, totalGpuMemoryBytes: gpuCount * fam.memoryPerGpuBytes,
        instanceStorage: fam.instanceStorage,
    };
}

/** All GPU instance types that are both in the table and accepted by SageMaker, sorted by family order then GPU memory. */
export function gpuInstanceTypes(): GpuInstanceInfo[] {
    const out: GpuInstanceInfo[] = [];
    for (const fam of GPU_FAMILIES) {
        for (const size of Object.keys(fam.gpusBySize)) {
            const info = gpuInstanceInfo(`ml.${fam.family}.${size}`);
            if (info && SAGEMAKER_INSTANCE_TYPES.has(info.instanceType)) out.push(info);
        }
    }
    return out;
}

// "Did you mean" lives in config/closest.ts: importing it from here would load @aws-sdk/client-sagemaker
// (about 0.4 s) into every command that only checks a name, such as npm run package and npm start.
import { closest, editDistance } from "../config/closest";
export { closest, editDistance };

/**
 * Checks an instance type for the endpoint. Returns an error message (naming `key`) or undefined.
 * It must be a type SageMaker accepts AND a GPU type of the table.
 */
export function checkGpuInstanceType(instanceType: string, key: string): string | undefined {
    const gpuTypes = gpuInstanceTypes().map((i) => i.instanceType);
    const families = GPU_FAMILIES.map((f) => `ml.${f.family}.*`).join(", ");
    if (!SAGEMAKER_INSTANCE_TYPES.has(instanceType)) {
        const hint = closest(instanceType, gpuTypes) ?? closest(instanceType, SAGEMAKER_INSTANCE_TYPES);
        return `${key}: "${instanceType}" is not an instance type SageMaker accepts for an endpoint` +
            (hint ? `; did you mean "${hint}"?` : "") +
            ` Set it to a GPU instance type, one of the families ${families} (for example ml.g4dn.xlarge).`;
    }
    if (!gpuInstanceInfo(instanceType)) {
        return `${key}: "${instanceType}" has no GPU in this program's GPU table; set it to a GPU instance type ` +
            `of the families ${families} (for example ml.g4dn.xlarge or ml.g5.xlarge).`;
    }
    return undefined;
}
