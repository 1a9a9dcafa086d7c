/**
 * GPU instance types for the endpoint, read from data/gpu-instances.json (sources: SageMaker Python SDK
 * `instance_gpu_info.json` for g4dn, g5, p3, p4d, p5; AWS instance pages for g6, g6e and the single-GPU p5.4xlarge),
 * checked against the `ProductionVariantInstanceType` list `@aws-sdk/client-sagemaker` exports.
 */
import { ProductionVariantInstanceType } from "@aws-sdk/client-sagemaker";
import { GpuFamilyFacts, readFacts } from "./facts";

/** One GPU family (`ml.<family>.*`). */
export interface GpuFamily extends GpuFamilyFacts {
    /** Memory of one GPU in bytes (from memoryPerGpu: GiB = 1024^3, GB = 1000^3 bytes). */
    memoryPerGpuBytes: number;
}

const UNIT_BYTES: Record<string, number> = { GiB: 1024 ** 3, GB: 1000 ** 3 };

/** Pure: bytes of a memory figure as data/gpu-instances.json states it (`16 GiB`, `24 GB`). */
export function memoryBytes(figure: string): number {
    const [amount, unit] = figure.split(" ");
    return Number(amount) * UNIT_BYTES[unit];
}

/** The GPU families the program accepts, in the order they are listed to users. */
export const GPU_FAMILIES: readonly GpuFamily[] = readFacts("gpu-instances").families
    .map((f) => Object.freeze({ ...f, memoryPerGpuBytes: memoryBytes(f.memoryPerGpu) }));

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
