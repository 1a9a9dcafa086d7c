/**
 * The container environment the program sets, and the deploy-side framework check. Pure.
 */
import { MODEL_CACHE_CONFIG_KEYS } from "../config/modelCacheConfig";

/** Environment variables the program always sets. */
export const ALWAYS_SET_ENV_KEYS: readonly string[] = [
    "SAGEMAKER_PROGRAM",
    "SAGEMAKER_SUBMIT_DIRECTORY",
    "SAGEMAKER_CONTAINER_LOG_LEVEL",
    "SAGEMAKER_REGION",
    "SAGEMAKER_MODEL_SERVER_WORKERS",
    "TF_FORCE_GPU_ALLOW_GROWTH",
];

/** Environment variables the program sets from their own config key, only when that key is set. */
export const CONFIG_KEY_OF_ENV: Readonly<Record<string, string>> = {
    SAGEMAKER_MODEL_SERVER_WORKERS: "modelServerWorkers",
    SAGEMAKER_CONTAINER_LOG_LEVEL: "containerLogLevel",
    CA_REPOSITORY_ARN: "codeArtifactRepositoryArn",
    ...Object.fromEntries(MODEL_CACHE_CONFIG_KEYS.map((k) => [k.env, k.key])),
};
const OPTIONAL_ENV_KEYS = Object.keys(CONFIG_KEY_OF_ENV).filter((k) => !ALWAYS_SET_ENV_KEYS.includes(k));

/** Environment variables the program sets itself; `environment` must not override them. */
export const RESERVED_ENV_KEYS: readonly string[] = [...ALWAYS_SET_ENV_KEYS, ...OPTIONAL_ENV_KEYS];

/**
 * Prefix of the PyTorch toolkit's TorchServe variables (SAGEMAKER_TS_BATCH_SIZE, _MAX_BATCH_DELAY, _MIN_WORKERS,
 * _MAX_WORKERS, _RESPONSE_TIMEOUT): when any is set, the toolkit writes per-model worker settings that override
 * SAGEMAKER_MODEL_SERVER_WORKERS, so the memory budget's worker count would be wrong. Refused in `environment`.
 */
export const TORCHSERVE_ENV_PREFIX = "SAGEMAKER_TS_";

/** Variables that size a worker's CPU thread pools (OpenMP/PyTorch intra-op, OpenBLAS, MKL); the handler also applies OMP_NUM_THREADS to torch. */
export const THREAD_ENV_KEYS: readonly string[] = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"];

/**
 * glibc allocator settings for the model server's processes: allocations up to 32 MiB (a batch of 256 images
 * through a CNN, a 6 MB body decoded) come from the heap instead of fresh mmap()s, and up to 64 MiB freed at the
 * top of the heap is kept instead of returned to the OS, so a large request does not page-fault all its memory in
 * again on every call. Both are what glibc's own dynamic thresholds grow to at most; fixing them skips the warm-up.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
    MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
    MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
};

/**
 * CPU threads per worker process: the cores left after one for the HTTP front (TorchServe's Java front end, or the
 * local runtime API and model server), shared by the workers, at least 1. A worker answers one request at a time, so
 * threads beyond its share only spin (OpenBLAS yields in a loop) and take CPU from the front and the other workers. Pure.
 */
export function threadsPerWorker(cores: number, workers: number): number {
    return Math.max(1, Math.floor((cores - 1) / Math.max(1, workers)));
}

/** The thread and allocator variables for `threads` CPU threads per worker. Pure. */
export function servingTuningEnv(threads: number): Record<string, string> {
    return { ...Object.fromEntries(THREAD_ENV_KEYS.map((k) => [k, String(threads)])), ...ALLOCATOR_ENV };
}

/**
 * Defaults of the deployed container, which `environment` may override: one thread per worker (the container's
 * vCPU count is not known at deploy time; its workers share them and the models run on the GPU) and ALLOCATOR_ENV.
 */
export const CONTAINER_TUNING_ENV: Readonly<Record<string, string>> = servingTuningEnv(1);

/** SageMaker's limits on a container's Environment map. */
export const ENV_MAX_ENTRIES = 100;
export const ENV_MAX_LENGTH = 1024;
export const ENV_KEY_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface ContainerEnvInput {
    region: string;
    /** Python logging level number (10..50). */
    containerLogLevel: number;
    modelServerWorkers: number;
    /** User entries from `environment` (already checked against RESERVED_ENV_KEYS). */
    environment: Record<string, string>;
    /**
     * Entries the program sets from their own config keys, only when set (CA_REPOSITORY_ARN from
     * isolation.ts, MODEL_CACHE_* from modelCacheConfig.ts). Every key must be one of RESERVED_ENV_KEYS (throws otherwise). @default {}
     */
    programEnvironment?: Record<string, string>;
}

/** The primary container's Environment (CONTAINER_TUNING_ENV, then the user's entries, then the program's), sorted by key so equal settings give equal inputs. */
export function containerEnvironment(input: ContainerEnvInput): Record<string, string> {
    const program = input.programEnvironment ?? {};
    const unknown = Object.keys(program).filter((k) => !OPTIONAL_ENV_KEYS.includes(k));
    if (unknown.length > 0) throw new Error(`containerEnvironment: ${unknown.join(", ")} not in RESERVED_ENV_KEYS (containerEnv.ts); add them there.`);
    const env: Record<string, string> = {
        ...CONTAINER_TUNING_ENV,
        ...input.environment,
        ...program,
        SAGEMAKER_PROGRAM: "inference.py",
        SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code",
        SAGEMAKER_CONTAINER_LOG_LEVEL: String(input.containerLogLevel),
        SAGEMAKER_REGION: input.region,
        SAGEMAKER_MODEL_SERVER_WORKERS: String(input.modelServerWorkers),
        TF_FORCE_GPU_ALLOW_GROWTH: "true",
    };
    return Object.fromEntries(Object.keys(env).sort().map((k) => [k, env[k]]));
}

/**
 * Parses the `environment` config value (JSON map, as pulumi.Config gives structured config) and
 * pushes an error naming `key` for every problem. `k(name)` renders another config key.
 */
export function parseEnvironment(v: string | undefined, key: string, k: (name: string) => string, errors: string[]): Record<string, string> {
    if (v === undefined) return {};
    let obj: unknown;
    try { obj = JSON.parse(v); } catch { obj = undefined; }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
        errors.push(`${key}: ${JSON.stringify(v)} is not a map; set it as a YAML map of NAME: value (pulumi config set --path 'environment.NAME' value).`);
        return {};
    }
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(obj)) {
        if (RESERVED_ENV_KEYS.includes(name)) {
            const own = CONFIG_KEY_OF_ENV[name];
            errors.push(`${key}: "${name}" is set by the program and cannot be overridden; remove it` +
                (own ? ` and set ${k(own)} instead.` : "."));
        } else if (name.startsWith(TORCHSERVE_ENV_PREFIX)) {
            errors.push(`${key}: "${name}" makes the PyTorch serving toolkit write per-model TorchServe settings ` +
                `(min/max workers, default 1) that replace ${k("modelServerWorkers")}, which the memory budget divides the ` +
                `instance's memory by; remove it and set ${k("modelServerWorkers")} (and SAGEMAKER_MODEL_SERVER_TIMEOUT for the time limit) instead.`);
        } else if (name === "__proto__") {
            errors.push(`${key}: "__proto__" cannot be passed through the program's JavaScript maps (it would be dropped); rename the variable or remove it.`);
        } else if (!ENV_KEY_PATTERN.test(name) || name.length > ENV_MAX_LENGTH) {
            errors.push(`${key}: "${name}" is not an environment variable name; use letters, digits and _ (not starting with a digit).`);
        } else if (!["string", "number", "boolean"].includes(typeof value)) {
            errors.push(`${key}: the value of "${name}" is not a string, number or boolean; set a plain value.`);
        } else if (String(value).length > ENV_MAX_LENGTH) {
            errors.push(`${key}: the value of "${name}" is ${String(value).length} characters long; SageMaker accepts at most ${ENV_MAX_LENGTH}.`);
        } else {
            env[name] = String(value);
        }
    }
    const defaults = Object.keys(CONTAINER_TUNING_ENV).filter((k) => !(k in env));
    if (Object.keys(env).length + RESERVED_ENV_KEYS.length + defaults.length > ENV_MAX_ENTRIES) {
        errors.push(`${key}: ${Object.keys(env).length} entries plus the up to ${RESERVED_ENV_KEYS.length} the program sets ` +
            `(${RESERVED_ENV_KEYS.join(", ")}) may exceed SageMaker's ${ENV_MAX_ENTRIES}` +
            (defaults.length ? ` with the ${defaults.length} tuning defaults not overridden (${defaults.join(", ")})` : "") + "; remove some.");
    }
    return env;
}

/** pip distribution names that provide each manifest framework. */
export const FRAMEWORK_PACKAGES: Readonly<Record<string, readonly string[]>> = {
    pytorch: ["torch"],
    sklearn: ["scikit-learn"],
    tensorflow: ["tensorflow", "tensorflow-cpu", "tensorflow-gpu"],
};

/** One requirement line: the normalised distribution name and whether it is pinned with `==`. */
export interface Requirement { name: string; pinned: boolean; line: string }

/** Parses requirements.txt text (comments, blank lines and pip options are skipped). */
export function parseRequirements(text: string): Requirement[] {
    const out: Requirement[] = [];
    for (const rawLine of text.split(/\r?\n/)) {
        const line = rawLine.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
        if (!line || line.startsWith("-")) continue;
        const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(line);
        if (!m) continue;
        const name = m[1].toLowerCase().replace(/[._]+/g, "-");
        const spec = m[3].split(";")[0].trim();
        out.push({ name, pinned: /^===?\s*[^,*]+$/.test(spec), line });
    }
    return out;
}

export interface FrameworkCheckInput {
    /** Frameworks named by the manifest (`models[].framework`). */
    frameworks: readonly string[];
    /** Text of code/requirements.txt, or undefined when the file is missing. */
    requirementsText?: string;
    /** The image is a PyTorch inference DLC (torch is installed in it). */
    imageHasPyTorch: boolean;
    /** For messages: the requirements file path. */
    requirementsPath: string;
}

/**
 * The deploy-side framework check: a warning for every manifest framework that is neither in the
 * image nor pinned (`==`) in code/requirements.txt.
 */
export function frameworkWarnings(input: FrameworkCheckInput): string[] {
    const reqs = parseRequirements(input.requirementsText ?? "");
    const warnings: string[] = [];
    for (const fw of [...new Set(input.frameworks)].sort()) {
        const pkgs = FRAMEWORK_PACKAGES[fw];
        if (!pkgs) continue; // unknown frameworks are the manifest validator's error
        if (fw === "pytorch" && input.imageHasPyTorch) continue;
        const found = reqs.find((r) => pkgs.includes(r.name));
        if (!found) {
            warnings.push(`${input.requirementsPath}: the manifest uses framework "${fw}", which the image does not ` +
                `provide; add "${pkgs[0]}==<version the model was saved with>" to ${input.requirementsPath}` +
                (fw === "pytorch" ? " or use a PyTorch inference image" : "") + ".");
        } else if (!found.pinned) {
            warnings.push(`${input.requirementsPath}: "${found.line}" is not pinned; pin the exact version the ` +
                `"${fw}" model was saved with ("${found.name}==X.Y.Z"), or it may not load in the container.`);
        }
    }
    return warnings;
}
