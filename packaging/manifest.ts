/**
 * `models.json`: which models the archive holds and how to call them. Schema checks only
 * (no file system access except `readManifest`); every problem is reported at once,
 * each naming the file and the field.
 */
import * as fs from "fs";
import * as path from "path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { closest } from "../config/closest";
import { standaloneValidator } from "../jsonSchema/standalone";

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
    /** Class labels in class-id order (required). */
    labels: string[];
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

const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

/**
 * The one schema of models.json, shipped in the archive beside the handler (model-src/code/), which checks
 * manifests with the same file (code/manifest_schema.py); tests/integration/packaging/manifestSchema.spec.ts runs a corpus through both.
 */
export const MANIFEST_SCHEMA_FILE = path.resolve(__dirname, "..", "model-src", "code", "models.schema.json");
type Schema = { description?: string; type?: string; properties?: Record<string, Schema>; items?: Schema };
let validator: ValidateFunction | undefined;
let schemaRoot: Schema | undefined;
function compiled(): { validate: ValidateFunction; schema: Schema } {
    if (!validator) {
        const text = fs.readFileSync(MANIFEST_SCHEMA_FILE, "utf8");
        schemaRoot = JSON.parse(text) as Schema;
        // ajv's standalone code for the schema, generated into build/validators when the schema changes
        validator = standaloneValidator({ name: "models.schema", text, options: { allErrors: true, verbose: true, strict: true } }).validate;
    }
    return { validate: validator, schema: schemaRoot! };
}

/** True when `p` is a relative posix path that stays inside its base (no `..`, not absolute, no backslash). */
export function isSafeRelativePath(p: string): boolean {
    if (p === "" || p.startsWith("/") || p.includes("\\") || /^[A-Za-z]:/.test(p)) return false;
    return !p.split("/").some((seg) => seg === ".." || seg === "");
}

/** `/models/0/input/maxBatch` -> `models[0].input.maxBatch`. */
function where(pointer: string): string {
    return pointer.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : acc ? `${acc}.${t}` : t), "") || "the manifest";
}

/**
 * Parses JSON text, recording where a number was written with a fraction or an exponent (`32833536.0`, `1e3`):
 * Python's json reads those as floats, which the schema's "integer" refuses, so the same text must be refused here.
 */
function parseRecordingFloats(text: string): { value: unknown; floats: Map<string, string> } {
    const marks = new WeakMap<object, Map<string, string>>();
    const value = JSON.parse(text, function (this: object, key: string, v: unknown, ctx?: { source?: string }) {
        if (typeof v === "number" && ctx?.source !== undefined && /[.eE]/.test(ctx.source)) {
            const m = marks.get(this) ?? new Map<string, string>();
            m.set(key, ctx.source);
            marks.set(this, m);
        }
        return v;
    } as (key: string, v: unknown) => unknown);
    const floats = new Map<string, string>();
    const visit = (node: unknown, pointer: string): void => {
        if (typeof node !== "object" || node === null) return;
        const m = marks.get(node);
        for (const [k, child] of Object.entries(node)) {
            const at = `${pointer}/${k}`;
            if (m?.has(k)) floats.set(at, m.get(k)!);
            visit(child, at);
        }
    };
    visit(value, "");
    return { value, floats };
}

/** The schema at a JSON pointer (properties/items only, the keywords the manifest schema nests with). */
function schemaAt(root: Schema, pointer: string): Schema | undefined {
    let s: Schema | undefined = root;
    for (const t of pointer.split("/").slice(1)) s = /^\d+$/.test(t) && s?.items ? s.items : s?.properties?.[t];
    return s;
}

function valueAt(root: unknown, pointer: string): unknown {
    let v = root;
    for (const t of pointer.split("/").slice(1)) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[t] : undefined;
    return v;
}

/** An element of an array of plain values is reported as the array (`shape`, not `shape[1]`). */
function reportedAt(pointer: string, schema: Schema): { pointer: string; schema: Schema } {
    const m = /^(.*)\/\d+$/.exec(pointer);
    const array = m && schema.type !== "object" ? schemaAt(compiled().schema, m[1]) : undefined;
    return m && array?.type === "array" ? { pointer: m[1], schema: array } : { pointer, schema };
}

/** One message per schema error: unknown keys with a "did you mean", missing keys, else the field's description. */
function schemaMessages(errors: readonly ErrorObject[], doc: unknown): string[] {
    const out = new Set<string>();
    for (const e of errors) {
        const at = where(e.instancePath);
        if (e.keyword === "additionalProperty" || e.keyword === "additionalProperties") {
            const key = (e.params as { additionalProperty: string }).additionalProperty;
            const known = Object.keys((e.parentSchema as Schema).properties ?? {});
            const hint = closest(key, known);
            out.add(`${e.instancePath ? `${at}.` : ""}${key} is not a known field${hint ? `; did you mean "${hint}"?` : ""} (known: ${known.join(", ")}); ` +
                `fix or remove it`);
        } else if (e.keyword === "required") {
            const key = (e.params as { missingProperty: string }).missingProperty;
            out.add(`${e.instancePath ? `${at}.` : ""}${key} is required; add it`);
        } else {
            const { pointer, schema } = reportedAt(e.instancePath, e.parentSchema as Schema);
            out.add(`${where(pointer)} must be ${schema.description ?? e.message} (got ${show(valueAt(doc, pointer))})`);
        }
    }
    return [...out];
}

/** Checks the schema cannot express: unique model names, range min <= max. */
function semanticMessages(doc: unknown): string[] {
    const models = (doc as { models?: unknown[] })?.models;
    if (!Array.isArray(models)) return [];
    const out: string[] = [];
    const seen = new Map<unknown, number>();
    models.forEach((m, i) => {
        const entry = m as { name?: unknown; input?: { range?: unknown } } | null;
        if (typeof entry?.name === "string") {
            const first = seen.get(entry.name);
            if (first !== undefined) out.push(`models[${i}].name "${entry.name}" repeats models[${first}].name; names must be unique`);
            else seen.set(entry.name, i);
        }
        const r = entry?.input?.range;
        if (Array.isArray(r) && r.length === 2 && typeof r[0] === "number" && typeof r[1] === "number" && r[0] > r[1]) {
            out.push(`models[${i}].input.range must be [min, max] with min <= max (got ${show(r)})`);
        }
    });
    return out;
}

/**
 * Checks a manifest (JSON text, or an already parsed value) against models.schema.json. Each error starts
 * with `filePath: ` and names the field, e.g. `model-src/models.json: models[1].framework must be one of ...`.
 */
export function checkManifest(value: unknown, filePath: string): ManifestCheck {
    let doc = value;
    let floats = new Map<string, string>();
    if (typeof value === "string") {
        try {
            ({ value: doc, floats } = parseRecordingFloats(value));
        } catch (e) {
            return { errors: [`${filePath}: not valid JSON (${(e as Error).message}); fix the syntax`] };
        }
    }
    const { validate, schema } = compiled();
    const errors = validate(doc) ? [] : schemaMessages(validate.errors ?? [], doc);
    for (const [pointer, source] of floats) {
        const s = schemaAt(schema, pointer);
        if (s?.type !== "integer") continue;
        const r = reportedAt(pointer, s);
        errors.push(`${where(r.pointer)} must be ${r.schema.description} (got ${r.pointer === pointer ? source : show(valueAt(doc, r.pointer))})`);
    }
    errors.push(...semanticMessages(doc));
    if (errors.length > 0) return { errors: errors.map((e) => `${filePath}: ${e}`) };
    return { manifest: doc as Manifest, errors: [] };
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
