/**
 * Stack config of the router's model cache: its parsing and the container environment it becomes. Pure.
 * The keys (defaults, ranges, environment variables) are config/schema.ts's group "modelCache". The router
 * (model-src/code/mme/budget.py `cache_budget`, `cache_timings`) reads MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION,
 * MODEL_LOAD_RETRY_SECONDS and MODEL_CACHE_WAIT_SECONDS; each is passed only when its key is set, so the
 * handler's own defaults (model-src/code/mme/cache_defaults.json, which the schema reads too) apply otherwise.
 */
import { Reader, RawConfig } from "./parse";
import { bytesAndFraction } from "./rules";
import { describedKeys, HANDLER_CACHE_DEFAULTS, KeySpec, keysOf, Schema, SCHEMA } from "./schema";

/** One model-cache key of the schema: its `env` is always set. */
export type ModelCacheConfigKey = KeySpec & { env: string };

/** The handler's default budget fraction when neither bytes nor fraction is set, divided by the workers sharing a GPU. */
export const DEFAULT_CACHE_FRACTION = HANDLER_CACHE_DEFAULTS.MODEL_CACHE_FRACTION;

/** The model-cache keys, descriptions filled in. */
export const MODEL_CACHE_CONFIG_KEYS = describedKeys("modelCache") as readonly ModelCacheConfigKey[];
export const MODEL_CACHE_KEY_NAMES: ReadonlySet<string> = new Set(MODEL_CACHE_CONFIG_KEYS.map((k) => k.key));

/** The cache settings; each field undefined when its key is not set (the handler's default applies). Ranges: config/schema.ts. */
export interface ModelCacheSettings {
    /** Bytes per worker (`modelCacheBytes`). Conflicts with `fraction`. @default undefined (the handler's default fraction) */
    bytes?: number;
    /** Fraction of the worker's GPU memory (`modelCacheFraction`). Conflicts with `bytes`. @default undefined (the handler's default fraction) */
    fraction?: number;
    /** Seconds a failed load is answered with 500 before a retry (`modelLoadRetrySeconds`). @default undefined (the handler's) */
    loadRetrySeconds?: number;
    /** Seconds a request waits for room or a running load before 503 (`modelCacheWaitSeconds`). @default undefined (the handler's) */
    waitSeconds?: number;
}

export interface ModelCacheParseResult { modelCache: ModelCacheSettings; errors: string[] }

const FIELD_OF_KEY: Readonly<Record<string, keyof ModelCacheSettings>> = {
    modelCacheBytes: "bytes", modelCacheFraction: "fraction", modelLoadRetrySeconds: "loadRetrySeconds", modelCacheWaitSeconds: "waitSeconds",
};

/** Pure: the model-cache keys of the raw stack config (strings, as pulumi.Config gives them). */
export function parseModelCacheSettings(raw: RawConfig, project: string, schema: Schema = SCHEMA): ModelCacheParseResult {
    const r = new Reader(raw, project, schema);
    const modelCache: ModelCacheSettings = {};
    const bytesSet = r.given("modelCacheBytes") !== undefined && r.given("modelCacheBytes") !== "0";
    if (bytesSet) modelCache.bytes = r.int("modelCacheBytes");
    const fractionText = r.given("modelCacheFraction");
    if (fractionText !== undefined) {
        const f = Number(fractionText);
        if (!/^(\d+(\.\d*)?|\.\d+)(e-?\d+)?$/i.test(fractionText) || !(f > 0 && f <= 1)) {
            r.errors.push(`${r.K("modelCacheFraction")}: "${fractionText}" is not a number in (0, 1]; set it like "0.4" (each worker's cache ` +
                `as a fraction of its GPU's memory), or remove it for the default ${DEFAULT_CACHE_FRACTION} / the workers sharing a GPU.`);
        } else {
            modelCache.fraction = f;
        }
    }
    r.errors.push(...bytesAndFraction(bytesSet, fractionText !== undefined, r.K));
    if (r.given("modelLoadRetrySeconds") !== undefined) modelCache.loadRetrySeconds = r.int("modelLoadRetrySeconds");
    if (r.given("modelCacheWaitSeconds") !== undefined) modelCache.waitSeconds = r.int("modelCacheWaitSeconds");
    for (const k of keysOf("modelCache", schema)) {
        const field = FIELD_OF_KEY[k.key];
        if (modelCache[field] === k.default) delete modelCache[field]; // the default spelled out (or an invalid value) = not set
    }
    return { modelCache, errors: r.errors };
}

/** Pure: the container environment of the set fields only, e.g. `{ MODEL_CACHE_FRACTION: "0.4" }`. */
export function modelCacheEnvironment(c: ModelCacheSettings): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of MODEL_CACHE_CONFIG_KEYS) {
        const v = c[FIELD_OF_KEY[k.key]];
        if (v !== undefined) env[k.env] = String(v);
    }
    return env;
}
