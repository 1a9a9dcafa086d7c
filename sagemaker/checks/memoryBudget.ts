/**
 * Preview-time GPU memory budget: do the manifest's models fit the instance type's GPUs
 * with the configured workers and model cache? Pure; the deploy checks run it before any resource.
 *
 * How the container uses memory (model-src/code/inference.py and mme/, the PyTorch DLC's TorchServe):
 * - Every worker is a process with its OWN model cache: its pinned models are loaded at start and
 *   the others on first use, each counted at its models.json `memoryBytes` (`npm run measure-models`:
 *   parameters + one maxBatch batch).
 * - TorchServe hands GPUs to workers round-robin (WorkLoadManager.addThreads; model_fn gets it as the context's gpu_id), so
 *   a worker uses ONE GPU and ceil(workers / gpuCount) workers share each GPU: the limits below are
 *   per GPU (`memoryPerGpuBytes`), never the instance's total.
 * - A worker's cache budget is MODEL_CACHE_BYTES, else MODEL_CACHE_FRACTION (default 0.5 / the workers sharing
 *   its GPU, ceil(workers / gpuCount)) of its GPU's total memory (when a pytorch model is listed; else of the RAM, which this table
 *   does not know, so the budget checks are skipped then). Pinned models over the budget make model_fn
 *   fail: the endpoint never becomes healthy.
 * - pytorch and tensorflow models sit on the GPU; sklearn models in host RAM (they still count
 *   against the cache budget).
 *
 * Headroom (chosen here): per worker on a GPU, CUDA_CONTEXT_BYTES = 1 GiB for the CUDA context and
 * PyTorch's cuBLAS/cuDNN workspaces (0.3-0.5 GiB with CUDA's lazy module loading, about 1 GiB
 * without); per GPU, HEADROOM_FRACTION = 10 % of the nominal memory, because CUDA reports about
 * 92 % of it as total (T4: 14.7 of 16 GiB; A10G: 22.2 of 24 GiB) and the caching allocator fragments.
 */
import { gpuInstanceTypes, GpuInstanceInfo } from "../instanceTypes";
import type { ModelEntry } from "../../packaging/manifest";
import { DEFAULT_CACHE_FRACTION, ModelCacheSettings } from "../../config/modelCacheConfig";
import { keyNamer } from "../../config/names";

export const GIB = 1024 ** 3;
/** Per worker process on a GPU: CUDA context and library workspaces. */
export const CUDA_CONTEXT_BYTES = 1 * GIB;
/** Per GPU: share of the nominal memory kept free (reported total below nominal, fragmentation). */
export const HEADROOM_FRACTION = 0.1;
/** Frameworks whose models inference.py places on the worker's GPU. */
export const GPU_FRAMEWORKS: readonly string[] = ["pytorch", "tensorflow"];

export interface MemoryBudgetArgs {
    /** Project name for the config keys in messages (`<project>:<key>`). */
    project: string;
    /** The manifest's models: `memoryBytes` (bytes per loaded copy, > 0), `pinned` (@default false), `framework`. */
    models: ReadonlyArray<Pick<ModelEntry, "name" | "framework" | "memoryBytes" | "pinned">>;
    /** Path of models.json, for messages. */
    manifestPath: string;
    /** The instance type's GPUs (instanceTypes.ts). */
    gpu: GpuInstanceInfo;
    /** SAGEMAKER_MODEL_SERVER_WORKERS, 1 to 64. */
    modelServerWorkers: number;
    /** The cache settings (modelCacheConfig.ts); bytes and fraction never both set. */
    modelCache: ModelCacheSettings;
}

/** The figures the checks use, for messages and tests. All bytes. */
export interface MemoryEstimate {
    workersPerGpu: number;
    /** memoryPerGpuBytes * (1 - HEADROOM_FRACTION). */
    usablePerGpuBytes: number;
    /** Each worker's cache budget; undefined when it derives from host RAM (no pytorch model, no bytes set). */
    budgetPerWorkerBytes?: number;
    pinnedBytes: number;
    pinnedGpuBytes: number;
    allBytes: number;
    allGpuBytes: number;
}

export interface MemoryBudgetResult { errors: string[]; warnings: string[]; estimate: MemoryEstimate }

/** "1.50 GiB" from 1 GiB up, else "12.3 MiB". */
export function formatBytes(n: number): string {
    return n >= GIB ? `${(n / GIB).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

const sum = (ms: MemoryBudgetArgs["models"]) => ms.reduce((t, m) => t + m.memoryBytes, 0);
const onGpu = (m: { framework: string }) => GPU_FRAMEWORKS.includes(m.framework);
const usable = (gpu: GpuInstanceInfo) => Math.floor(gpu.memoryPerGpuBytes * (1 - HEADROOM_FRACTION));
const perGpu = (workers: number, gpu: GpuInstanceInfo) => Math.ceil(workers / gpu.gpuCount);
const describe = (gpu: GpuInstanceInfo) => `${gpu.instanceType} (${gpu.gpuCount} x ${gpu.gpu} ${formatBytes(gpu.memoryPerGpuBytes)})`;

/**
 * A worker's cache budget on `gpu`, as the handler's cache_budget (mme/budget.py) computes it on CUDA (of the nominal memory less the
 * headroom): MODEL_CACHE_BYTES, else MODEL_CACHE_FRACTION, else 0.5 / the workers sharing its GPU (ceil(workers / gpuCount)).
 */
export function cacheBudgetBytes(c: ModelCacheSettings, workers: number, gpu: GpuInstanceInfo): number {
    return c.bytes ?? Math.floor((c.fraction ?? DEFAULT_CACHE_FRACTION / perGpu(workers, gpu)) * usable(gpu));
}

/** Whether every model fits on each GPU of `gpu`, once per worker sharing it, with its CUDA context. */
function holdsAll(workers: number, gpu: GpuInstanceInfo, allGpuBytes: number): boolean {
    return perGpu(workers, gpu) * (allGpuBytes + CUDA_CONTEXT_BYTES) <= usable(gpu);
}

/** GPU instance types (one size per family and GPU count, smallest GPU memory first) for which `ok` holds. */
export function instanceTypesWhere(ok: (gpu: GpuInstanceInfo) => boolean): GpuInstanceInfo[] {
    const seen = new Set<string>();
    return gpuInstanceTypes()
        .filter((g) => { const k = `${g.family}/${g.gpuCount}`; return !seen.has(k) && seen.add(k) !== undefined; })
        .filter(ok)
        .sort((x, y) => x.memoryPerGpuBytes - y.memoryPerGpuBytes || x.gpuCount - y.gpuCount);
}

function listTypes(types: GpuInstanceInfo[], max = 6): string {
    const shown = types.slice(0, max).map(describe).join(", ");
    return types.length > max ? `${shown} and ${types.length - max} more` : shown;
}

/** Pure: the preview check. Errors when the endpoint cannot become healthy; warnings when models will be swapped. */
export function checkMemoryBudget(a: MemoryBudgetArgs): MemoryBudgetResult {
    const K = keyNamer(a.project);
    const errors: string[] = [];
    const warnings: string[] = [];
    const { gpu, modelServerWorkers: workers, modelCache: c } = a;
    const pinned = a.models.filter((m) => m.pinned === true);
    const estimate: MemoryEstimate = {
        workersPerGpu: perGpu(workers, gpu), usablePerGpuBytes: usable(gpu),
        budgetPerWorkerBytes: c.bytes !== undefined || a.models.some((m) => m.framework === "pytorch") ? cacheBudgetBytes(c, workers, gpu) : undefined,
        pinnedBytes: sum(pinned), pinnedGpuBytes: sum(pinned.filter(onGpu)), allBytes: sum(a.models), allGpuBytes: sum(a.models.filter(onGpu)),
    };
    const e = estimate;
    const budget = e.budgetPerWorkerBytes;
    const sharing = `${e.workersPerGpu} worker(s) per GPU (${workers} worker(s) over ${gpu.gpuCount} GPU(s))`;
    const names = (ms: typeof pinned) => ms.map((m) => `${m.name} ${formatBytes(m.memoryBytes)}`).join(", ");
    const cacheKey = c.bytes !== undefined ? "modelCacheBytes" : "modelCacheFraction";
    const budgetSource = c.bytes !== undefined ? `set by ${K("modelCacheBytes")}`
        : `${c.fraction !== undefined ? `${K("modelCacheFraction")} ${c.fraction}` : `the default ${DEFAULT_CACHE_FRACTION} / ${e.workersPerGpu} worker(s) sharing a GPU`} ` +
          `of the ${formatBytes(e.usablePerGpuBytes)} usable on one ${gpu.gpu} of ${gpu.instanceType}`;

    // 1. Pinned models on each GPU, once per worker sharing it.
    const need = e.workersPerGpu * (e.pinnedGpuBytes + CUDA_CONTEXT_BYTES);
    const pinnedOverflow = e.pinnedGpuBytes > 0 && need > e.usablePerGpuBytes;
    if (pinnedOverflow) {
        const maxWorkers = Math.floor(e.usablePerGpuBytes / (e.pinnedGpuBytes + CUDA_CONTEXT_BYTES)) * gpu.gpuCount;
        const fit = instanceTypesWhere((g) => g.gpuCount <= workers && perGpu(workers, g) * (e.pinnedGpuBytes + CUDA_CONTEXT_BYTES) <= usable(g));
        errors.push(`${K("instanceType")}: the pinned GPU models of ${a.manifestPath} (${names(pinned.filter(onGpu))}) need ` +
            `${formatBytes(need)} on each GPU of ${describe(gpu)}: ${sharing}, each loading them at start plus ` +
            `${formatBytes(CUDA_CONTEXT_BYTES)} of CUDA context, but one GPU has ${formatBytes(e.usablePerGpuBytes)} after ` +
            `${HEADROOM_FRACTION * 100}% headroom, so the workers run out of GPU memory at start. Fix: ` +
            (maxWorkers >= 1 ? `set ${K("modelServerWorkers")} to ${maxWorkers} or fewer, ` : "") +
            `unpin models in ${a.manifestPath} ("pinned": false loads them on first use), or use an instance type whose GPUs hold them: ` +
            (fit.length > 0 ? listTypes(fit) : "none in the GPU table with this many workers") + ".");
    }
    // 2. Pinned models over the cache budget: model_fn refuses to start.
    if (budget !== undefined && e.pinnedBytes > budget) {
        errors.push(`${K(cacheKey)}: the pinned models of ${a.manifestPath} (${names(pinned)}) need ${formatBytes(e.pinnedBytes)} in each ` +
            `worker's model cache, but its budget is ${formatBytes(budget)} (${budgetSource}), so model_fn refuses to start and the endpoint never becomes healthy. Fix: set ${K("modelCacheBytes")} to at least ` +
            `${e.pinnedBytes} (or raise ${K("modelCacheFraction")}), or unpin models in ${a.manifestPath}.`);
    }
    if (budget === undefined) return { errors, warnings, estimate };
    // 3. All models over the budget: they are swapped (LRU eviction, a load on each miss).
    if (e.allBytes > budget) {
        // Other types (not this one's GPUs) that hold them all without idle GPUs (gpuCount <= workers), and the cache size they need.
        const fit = instanceTypesWhere((g) => !(g.family === gpu.family && g.gpuCount === gpu.gpuCount) &&
            g.gpuCount <= workers && holdsAll(workers, g, e.allGpuBytes));
        const raise = fit.some((g) => cacheBudgetBytes(c, workers, g) < e.allBytes);
        const keep = holdsAll(workers, gpu, e.allGpuBytes) ? `keep ${gpu.instanceType} and set ${K("modelCacheBytes")} to at least ${e.allBytes}` : "";
        warnings.push(`${K("instanceType")}: the ${a.models.length} models of ${a.manifestPath} need ${formatBytes(e.allBytes)} together ` +
            `(${formatBytes(e.allGpuBytes)} of them on the GPU) but each worker's model cache holds ${formatBytes(budget)} (${budgetSource}), ` +
            `so models are loaded on first use and the least recently used evicted: a request for an evicted model ` +
            `waits for its load. ` + (e.allGpuBytes === 0 ? `They sit in host RAM, not on the GPU: to hold them all, set ${K("modelCacheBytes")} to at least ${e.allBytes}.` :
            `To hold them all with ${workers} worker(s), use ` +
            (fit.length > 0 ? listTypes(fit) + (raise ? `, with ${K("modelCacheBytes")} of at least ${e.allBytes}` : "") + (keep ? `, or ${keep}` : "")
                : keep || "no instance type in the GPU table (unpin or shrink models, or use fewer workers)") + "."));
    }
    // 4. Caches that may outgrow the GPU: a load fails with CUDA out of memory instead of evicting.
    const cacheOnGpu = Math.min(budget, e.allGpuBytes);
    const perWorkerLimit = Math.floor(e.usablePerGpuBytes / e.workersPerGpu) - CUDA_CONTEXT_BYTES;
    if (!pinnedOverflow && e.allGpuBytes > 0 && cacheOnGpu > perWorkerLimit) {
        warnings.push(`${K(cacheKey)}: each worker's cache may hold ${formatBytes(cacheOnGpu)} of GPU models; with ${sharing} and ` +
            `${formatBytes(CUDA_CONTEXT_BYTES)} of CUDA context each, that is ${formatBytes(e.workersPerGpu * (cacheOnGpu + CUDA_CONTEXT_BYTES))} ` +
            `on a GPU with ${formatBytes(e.usablePerGpuBytes)} usable, so a load can fail with CUDA out of memory before the cache evicts. ` +
            (perWorkerLimit > 0 ? `Set ${K("modelCacheBytes")} to at most ${perWorkerLimit}` + (c.bytes === undefined ? ` (instead of ${K(cacheKey)})` : "") + ", or lower "
                : "Lower ") + `${K("modelServerWorkers")}.`);
    }
    // 5. GPUs no worker uses.
    if (workers < gpu.gpuCount) {
        warnings.push(`${K("modelServerWorkers")}: ${gpu.instanceType} has ${gpu.gpuCount} GPUs but ${workers} worker(s); TorchServe gives ` +
            `GPUs to workers round-robin, so ${gpu.gpuCount - workers} GPU(s) stay idle. Set ${K("modelServerWorkers")} to ` +
            `${gpu.gpuCount} (one per GPU), or use a single-GPU instance type.`);
    }
    return { errors, warnings, estimate };
}
