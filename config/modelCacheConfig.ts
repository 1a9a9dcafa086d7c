/**
 * Stack config of the router's model cache: the keys, their parsing and the container
 * environment they become. Pure. The router (model-src/code/mme/budget.py `cache_budget`,
 * `cache_timings`) reads MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION, MODEL_LOAD_RETRY_SECONDS and
 * MODEL_CACHE_WAIT_SECONDS; each is passed only when its key is set, so the handler's own
 * defaults apply otherwise (a test checks the defaults here equal mme/budget.py's).
 */

/** One config key as Pulumi.yaml's `config:` block declares it. */
export interface ModelCacheConfigKey {
    /** Key without the project prefix (`gpu-multi-model-endpoint:<key>`). */
    key: string;
    type: "integer" | "string";
    /** Pulumi.yaml's `default:`; the "not set" value for modelCacheBytes (0) and modelCacheFraction (""). */
    default: number | string;
    /** Container environment variable it becomes. */
    env: string;
    /** One line for Pulumi.yaml and the README table: unit, range, conflicts. */
    description: string;
}

/** The handler's DEFAULT_FRACTION (model-src/code/mme/budget.py): the budget fraction when neither bytes nor fraction is set, divided by the workers. */
export const DEFAULT_CACHE_FRACTION = 0.5;
/** An invocation must be answered within 60 s (facts/sagemaker.md), so waiting longer is pointless. */
export const WAIT_SECONDS_RANGE = [1, 59] as const;
export const RETRY_SECONDS_RANGE = [0, 3600] as const;

export const MODEL_CACHE_CONFIG_KEYS: readonly ModelCacheConfigKey[] = [
    { key: "modelCacheBytes", type: "integer", default: 0, env: "MODEL_CACHE_BYTES",
      description: "MODEL_CACHE_BYTES: bytes of models.json memoryBytes each worker keeps loaded (its own cache), >= 1; 0 = not set. " +
        "Conflicts with modelCacheFraction. Unset both: 0.5 / the workers sharing a GPU (ceil(modelServerWorkers / GPUs per instance)) of the worker's GPU memory." },
    { key: "modelCacheFraction", type: "string", default: "", env: "MODEL_CACHE_FRACTION",
      description: "MODEL_CACHE_FRACTION: each worker's cache as a fraction of its GPU's memory, a number in (0, 1] written as a " +
        "string (\"0.4\"); \"\" = not set (0.5 / the workers sharing a GPU, ceil(modelServerWorkers / GPUs)). Conflicts with modelCacheBytes." },
    { key: "modelLoadRetrySeconds", type: "integer", default: 5, env: "MODEL_LOAD_RETRY_SECONDS",
      description: "MODEL_LOAD_RETRY_SECONDS: after a model fails to load, its requests get a 500 for this many seconds, then the load is retried (0 to 3600)." },
    { key: "modelCacheWaitSeconds", type: "integer", default: 30, env: "MODEL_CACHE_WAIT_SECONDS",
      description: "MODEL_CACHE_WAIT_SECONDS: how long a request waits for cache room (models in use) or a running load before a 503 cache_busy (1 to 59; SageMaker allows 60 s per invocation)." },
];
export const MODEL_CACHE_KEY_NAMES: ReadonlySet<string> = new Set(MODEL_CACHE_CONFIG_KEYS.map((k) => k.key));

/** The cache settings; each field undefined when its key is not set (inference.py's default applies). */
export interface ModelCacheSettings {
    /** Bytes per worker, >= 1. Conflicts with `fraction`. @default undefined (0.5 / ceil(workers / GPUs) of the GPU's memory) */
    bytes?: number;
    /** Fraction of the worker's GPU memory, in (0, 1]. Conflicts with `bytes`. @default undefined (0.5 / ceil(workers / GPUs)) */
    fraction?: number;
    /** Seconds a failed load is answered with 500 before a retry, 0 to 3600. @default undefined (5 s) */
    loadRetrySeconds?: number;
    /** Seconds a request waits for room or a running load before 503, 1 to 59. @default undefined (30 s) */
    waitSeconds?: number;
}

export interface ModelCacheParseResult { modelCache: ModelCacheSettings; errors: string[] }

/** Pure: the model-cache keys of the raw stack config (strings, as pulumi.Config gives them). */
export function parseModelCacheSettings(raw: Record<string, string | undefined>, project: string): ModelCacheParseResult {
    const K = (key: string) => `${project}:${key}`;
    const errors: string[] = [];
    const given = (key: string): string | undefined => {
        const v = raw[key]?.trim();
        return v === undefined || v === "" ? undefined : v;
    };
    const int = (key: string, min: number, max: number, unit: string): number | undefined => {
        const v = given(key);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
            errors.push(`${K(key)}: "${v}" is not a whole number of ${unit} from ${min} to ${max}; set one in that range, or remove it for the default.`);
            return undefined;
        }
        return n;
    };
    const modelCache: ModelCacheSettings = {};
    const bytesText = given("modelCacheBytes");
    if (bytesText !== undefined && bytesText !== "0") modelCache.bytes = int("modelCacheBytes", 1, Number.MAX_SAFE_INTEGER, "bytes");
    const fractionText = given("modelCacheFraction");
    if (fractionText !== undefined) {
        const f = Number(fractionText);
        if (!/^(\d+(\.\d*)?|\.\d+)(e-?\d+)?$/i.test(fractionText) || !(f > 0 && f <= 1)) {
            errors.push(`${K("modelCacheFraction")}: "${fractionText}" is not a number in (0, 1]; set it like "0.4" (each worker's cache ` +
                `as a fraction of its GPU's memory), or remove it for the default 0.5 / the workers sharing a GPU.`);
        } else {
            modelCache.fraction = f;
        }
    }
    if (bytesText !== undefined && bytesText !== "0" && fractionText !== undefined) {
        errors.push(`${K("modelCacheBytes")} and ${K("modelCacheFraction")} are both set; the router would use the bytes and ignore ` +
            `the fraction, so remove one of them.`);
    }
    const retry = int("modelLoadRetrySeconds", RETRY_SECONDS_RANGE[0], RETRY_SECONDS_RANGE[1], "seconds");
    if (retry !== undefined) modelCache.loadRetrySeconds = retry;
    const wait = int("modelCacheWaitSeconds", WAIT_SECONDS_RANGE[0], WAIT_SECONDS_RANGE[1], "seconds");
    if (wait !== undefined) modelCache.waitSeconds = wait;
    for (const k of MODEL_CACHE_CONFIG_KEYS) {
        const field = FIELD_OF_KEY[k.key];
        if (modelCache[field] === k.default) delete modelCache[field]; // the default spelled out = not set
    }
    return { modelCache, errors };
}

const FIELD_OF_KEY: Readonly<Record<string, keyof ModelCacheSettings>> = {
    modelCacheBytes: "bytes", modelCacheFraction: "fraction", modelLoadRetrySeconds: "loadRetrySeconds", modelCacheWaitSeconds: "waitSeconds",
};

/** Pure: the container environment of the set fields only, e.g. `{ MODEL_CACHE_FRACTION: "0.4" }`. */
export function modelCacheEnvironment(c: ModelCacheSettings): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of MODEL_CACHE_CONFIG_KEYS) {
        const v = c[FIELD_OF_KEY[k.key]];
        if (v !== undefined) env[k.env] = String(v);
    }
    return env;
}
