/**
 * `models.json`: which models the archive holds and how to call them. Schema checks only
 * (no file system access except `readManifest`); every problem is reported at once,
 * each naming the file and the field.
 */
import * as fs from "fs";
import * as path from "path";

export const FRAMEWORKS = ["pytorch", "sklearn", "tensorflow"] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export const INPUT_KINDS = ["image", "text", "tabular"] as const;
export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
/** File name of the manifest inside the model directory. */
export const MANIFEST_FILE = "models.json";

export interface ModelInput {
    /** What one input is: an image (array of `shape`), a text string, or a row of numbers. */
    kind: (typeof INPUT_KINDS)[number];
    /** Shape of one input (images, tabular), positive integers. */
    shape?: number[];
    /** Element type, e.g. `uint8`, `float32`, `string`. */
    dtype?: string;
    /** Inclusive [min, max] of element values. */
    range?: [number, number];
    /** Maximum characters of one text input. */
    maxLength?: number;
    /** Maximum inputs per request. */
    maxBatch?: number;
}

export interface ModelEntry {
    /** Routing name used in requests, `^[a-z][a-z0-9_-]{0,62}$`, unique. */
    name: string;
    framework: Framework;
    /** Model file (for `tensorflow`: a SavedModel directory holding `saved_model.pb`), relative to the model directory, posix separators, no `..`. */
    path: string;
    /** Free-form task, e.g. `image-classification`. */
    task: string;
    /** Class labels in class-id order. */
    labels?: string[];
    input?: ModelInput;
    /** Approximate memory the loaded model needs, bytes (positive integer). */
    memoryBytes: number;
    /** Keep loaded at all times. @default false */
    pinned?: boolean;
    /**
     * Topology components: GPUs reserved per copy of this model's inference component (whole number, 0 = CPU only).
     * @default 1 for pytorch and tensorflow, 0 for sklearn (placement.ts)
     */
    accelerators?: number;
    /** Topology components: CPU cores reserved per copy (a positive number, e.g. 0.5 or 2). @default not reserved */
    cpuCores?: number;
}

export interface Manifest {
    models: ModelEntry[];
}

export interface ManifestCheck {
    manifest?: Manifest;
    errors: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

/** True when `p` is a relative posix path that stays inside its base (no `..`, not absolute, no backslash). */
export function isSafeRelativePath(p: string): boolean {
    if (p === "" || p.startsWith("/") || p.includes("\\") || /^[A-Za-z]:/.test(p)) return false;
    return !p.split("/").some((seg) => seg === ".." || seg === "");
}

function checkInput(v: unknown, at: string, errors: string[]): void {
    if (!isObject(v)) {
        errors.push(`${at} must be an object (got ${show(v)})`);
        return;
    }
    if (!(INPUT_KINDS as readonly string[]).includes(v.kind as string)) {
        errors.push(`${at}.kind must be one of ${INPUT_KINDS.join(", ")} (got ${show(v.kind)})`);
    }
    if (v.shape !== undefined && !(Array.isArray(v.shape) && v.shape.length > 0 && v.shape.every(isPositiveInt))) {
        errors.push(`${at}.shape must be a non-empty array of positive integers (got ${show(v.shape)})`);
    }
    if (v.dtype !== undefined && (typeof v.dtype !== "string" || v.dtype === "")) {
        errors.push(`${at}.dtype must be a non-empty string (got ${show(v.dtype)})`);
    }
    if (v.range !== undefined) {
        const r = v.range;
        if (!(Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === "number" && Number.isFinite(x)) && r[0] <= r[1])) {
            errors.push(`${at}.range must be [min, max] with finite numbers and min <= max (got ${show(r)})`);
        }
    }
    for (const key of ["maxLength", "maxBatch"] as const) {
        if (v[key] !== undefined && !isPositiveInt(v[key])) errors.push(`${at}.${key} must be a positive integer (got ${show(v[key])})`);
    }
}

function checkModel(m: unknown, at: string, errors: string[]): void {
    if (!isObject(m)) {
        errors.push(`${at} must be an object (got ${show(m)})`);
        return;
    }
    if (typeof m.name !== "string" || !MODEL_NAME_PATTERN.test(m.name)) {
        errors.push(`${at}.name must match ${MODEL_NAME_PATTERN.source} (lower-case letter first, then up to 62 of a-z 0-9 _ -) (got ${show(m.name)})`);
    }
    if (!(FRAMEWORKS as readonly string[]).includes(m.framework as string)) {
        errors.push(`${at}.framework must be one of ${FRAMEWORKS.join(", ")} (got ${show(m.framework)})`);
    }
    if (typeof m.path !== "string" || !isSafeRelativePath(m.path)) {
        errors.push(`${at}.path must be a relative path inside the model directory with / separators and no ".." (got ${show(m.path)})`);
    }
    if (typeof m.task !== "string" || m.task === "") errors.push(`${at}.task must be a non-empty string (got ${show(m.task)})`);
    if (m.labels !== undefined) {
        const l = m.labels;
        if (!(Array.isArray(l) && l.length > 0 && l.every((x) => typeof x === "string" && x !== ""))) {
            errors.push(`${at}.labels must be a non-empty array of non-empty strings (got ${show(l)})`);
        } else if (new Set(l).size !== l.length) {
            errors.push(`${at}.labels must not repeat a label (got ${show(l)})`);
        }
    }
    if (m.input !== undefined) checkInput(m.input, `${at}.input`, errors);
    if (!isPositiveInt(m.memoryBytes)) errors.push(`${at}.memoryBytes must be a positive integer number of bytes (got ${show(m.memoryBytes)})`);
    if (m.pinned !== undefined && typeof m.pinned !== "boolean") errors.push(`${at}.pinned must be true or false (got ${show(m.pinned)})`);
    if (m.accelerators !== undefined && !(Number.isInteger(m.accelerators) && (m.accelerators as number) >= 0)) {
        errors.push(`${at}.accelerators must be a whole number of GPUs per copy, 0 or more (got ${show(m.accelerators)})`);
    }
    if (m.cpuCores !== undefined && !(typeof m.cpuCores === "number" && Number.isFinite(m.cpuCores) && m.cpuCores > 0)) {
        errors.push(`${at}.cpuCores must be a positive number of CPU cores per copy, e.g. 1 or 0.5 (got ${show(m.cpuCores)})`);
    }
}

/**
 * Checks a parsed (or raw JSON text) manifest. Each error starts with `filePath: ` and
 * names the field, e.g. `model-src/models.json: models[1].framework must be one of ...`.
 */
export function checkManifest(value: unknown, filePath: string): ManifestCheck {
    let v = value;
    if (typeof value === "string") {
        try {
            v = JSON.parse(value);
        } catch (e) {
            return { errors: [`${filePath}: not valid JSON (${(e as Error).message}); fix the syntax`] };
        }
    }
    const errors: string[] = [];
    if (!isObject(v) || !Array.isArray(v.models)) {
        errors.push(`models must be an array of model entries (got ${show(isObject(v) ? v.models : v)})`);
    } else if (v.models.length === 0) {
        errors.push("models must list at least one model");
    } else {
        v.models.forEach((m, i) => checkModel(m, `models[${i}]`, errors));
        const seen = new Map<string, number>();
        v.models.forEach((m, i) => {
            if (!isObject(m) || typeof m.name !== "string") return;
            const first = seen.get(m.name);
            if (first !== undefined) errors.push(`models[${i}].name "${m.name}" repeats models[${first}].name; names must be unique`);
            else seen.set(m.name, i);
        });
    }
    if (errors.length > 0) return { errors: errors.map((e) => `${filePath}: ${e}`) };
    return { manifest: v as unknown as Manifest, errors: [] };
}

/** Parses and validates manifest JSON text; throws one Error listing every problem. */
export function parseManifest(json: string, filePath: string): Manifest {
    const { manifest, errors } = checkManifest(json, filePath);
    if (!manifest) throw new Error(errors.join("\n"));
    return manifest;
}

/** Reads `<dir>/models.json`; undefined when the file does not exist; throws when it is invalid. */
export function readManifest(dir: string): Manifest | undefined {
    const file = path.join(dir, MANIFEST_FILE);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new Error(`${file}: cannot be read (${(e as Error).message})`);
    }
    return parseManifest(text, file);
}
