/**
 * Checks a model directory before anything is packed or declared: the layout the
 * SageMaker PyTorch container expects (`code/inference.py` with model_fn and transform_fn, or the
 * input_fn/predict_fn/output_fn trio),
 * the manifest, and the files the manifest names (a SavedModel directory for `tensorflow`). Synchronous, never throws.
 */
import * as fs from "fs";
import * as path from "path";
import { checkManifest, Manifest, MANIFEST_FILE } from "./manifest";
import { ArchiveEntry, walkModelDir, WalkOptions } from "./archiveEntries";

/** Per-request handlers the toolkit calls when a module has no transform_fn; it refuses a module with both kinds. */
export const STAGE_HANDLERS = ["input_fn", "predict_fn", "output_fn"] as const;
/** The handler module's entry points, as a phrase for messages. */
const HANDLERS_PHRASE = "model_fn and transform_fn (or model_fn, input_fn, predict_fn, output_fn)";
export const INFERENCE_SCRIPT = "code/inference.py";
export const REQUIREMENTS_FILE = "code/requirements.txt";

export interface ModelDirCheck {
    errors: string[];
    warnings: string[];
    /** The parsed manifest when `models.json` exists and is valid. */
    manifest?: Manifest;
    /** The walk's entries (what the archive packs) when it found no problem: buildModelArchive's `entries` option, so the directory is walked once. */
    entries?: ArchiveEntry[];
}

/**
 * The source with string literals emptied, comments dropped and the newlines inside brackets or strings
 * joined, so that each remaining line is one logical line and a column-0 line is a top-level statement.
 */
export function logicalLines(source: string): string[] {
    let out = "";
    let depth = 0;
    for (let i = 0; i < source.length;) {
        const c = source[i];
        if (c === "#") {
            while (i < source.length && source[i] !== "\n") i++;
        } else if (c === "\"" || c === "'") {
            const quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
            i += quote.length;
            while (i < source.length && !source.startsWith(quote, i)) {
                if (quote.length === 1 && source[i] === "\n") break; // unterminated: stop at the line's end
                i += source[i] === "\\" ? 2 : 1;
            }
            i += quote.length;
            out += `${c}${c}`;
        } else if (c === "\\" && source[i + 1] === "\n") {
            out += " ";
            i += 2;
        } else {
            if ("([{".includes(c)) depth++;
            else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
            out += c === "\n" && depth > 0 ? " " : c;
            i++;
        }
    }
    return out.split(/\r?\n/);
}

/**
 * Names bound at the top level of a Python source: `def`/`async def`/`class` statements, assignments
 * (`predict_fn = impl`, `a: T = ...`) and imports (`from m import f as predict_fn`), each starting in column 0.
 * Text inside strings and comments never counts.
 */
export function topLevelFunctions(source: string): string[] {
    const names: string[] = [];
    for (const line of logicalLines(source)) {
        const def = /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(line);
        if (def) { names.push(def[1]); continue; }
        const assign = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]*)?=(?!=)/.exec(line);
        if (assign) { names.push(...assign[1].split(",").map((n) => n.trim())); continue; }
        const imp = /^(?:from\s+\S+\s+)?import\s+\(?([^)]*)\)?/.exec(line);
        if (imp) {
            for (const part of imp[1].split(",")) {
                const m = /^\s*([\w.]+)(?:\s+as\s+(\w+))?\s*$/.exec(part);
                if (m) names.push(m[2] ?? m[1].split(".")[0]);
            }
        }
    }
    return names;
}

/**
 * Entry points `source` lacks at top level: model_fn, and transform_fn or else each of
 * input_fn/predict_fn/output_fn (the toolkit would fall back to its defaults, which cannot route).
 */
export function missingHandlers(source: string): string[] {
    const defined = new Set(topLevelFunctions(source));
    const needed = defined.has("transform_fn") ? ["model_fn"] : ["model_fn", ...STAGE_HANDLERS];
    return needed.filter((h) => !defined.has(h));
}

/** Stage handlers defined beside transform_fn: the toolkit refuses such a module at load (ValueError). */
export function conflictingHandlers(source: string): string[] {
    const defined = new Set(topLevelFunctions(source));
    return defined.has("transform_fn") ? STAGE_HANDLERS.filter((h) => defined.has(h)) : [];
}

function isFile(p: string): boolean {
    try {
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

function isDirectory(p: string): boolean {
    try {
        return fs.statSync(p).isDirectory();
    } catch {
        return false;
    }
}

/** File a TensorFlow SavedModel directory must contain (`tensorflow` = SavedModel). */
export const SAVED_MODEL_FILE = "saved_model.pb";

/**
 * Validates `dir`; every problem is returned at once, each naming the path and the fix. Runs the one
 * model-directory walk (walkModelDir), so whatever would refuse to pack is reported here, before anything is declared.
 */
export function validateModelDir(dir: string, walkOptions: WalkOptions = {}): ModelDirCheck {
    const errors: string[] = [];
    const warnings: string[] = [];
    let st: fs.Stats | undefined;
    try {
        st = fs.statSync(dir);
    } catch {
        st = undefined;
    }
    if (!st || !st.isDirectory()) {
        errors.push(`${dir}: model directory ${st ? "is not a directory" : "does not exist"}; create it with code/inference.py (and models.json), or point to it`);
        return { errors, warnings };
    }
    const walk = walkModelDir(dir, walkOptions);
    errors.push(...walk.problems);
    const script = path.join(dir, INFERENCE_SCRIPT);
    if (!isFile(script)) {
        errors.push(`${script}: missing; the PyTorch serving container runs ${INFERENCE_SCRIPT} (SAGEMAKER_PROGRAM=inference.py), create it with ${HANDLERS_PHRASE}`);
    } else {
        let source: string | undefined;
        try {
            source = fs.readFileSync(script, "utf8");
        } catch (e) {
            errors.push(`${script}: cannot be read (${(e as Error).message}); fix its permissions`);
        }
        const missing = source === undefined ? [] : missingHandlers(source);
        if (missing.length > 0) {
            errors.push(`${script}: does not define ${missing.join(", ")} at top level; add \`def ${missing[0]}(...)\` starting in column 0 for each`
                + (missing.includes("input_fn") ? " (or one transform_fn instead of input_fn, predict_fn, output_fn)" : ""));
        }
        const both = source === undefined ? [] : conflictingHandlers(source);
        if (both.length > 0) {
            errors.push(`${script}: defines transform_fn and also ${both.join(", ")}; the serving toolkit refuses that module at start (ValueError), remove ${both.length > 1 ? "them" : "it"} or transform_fn`);
        }
    }
    if (!isFile(path.join(dir, REQUIREMENTS_FILE))) {
        warnings.push(`${path.join(dir, REQUIREMENTS_FILE)}: missing; the container installs nothing extra. Add it (one pip requirement a line) if inference.py imports packages the image lacks`);
    }
    const manifestFile = path.join(dir, MANIFEST_FILE);
    let manifest: Manifest | undefined;
    if (fs.existsSync(manifestFile)) {
        let text: string | undefined;
        try {
            text = fs.readFileSync(manifestFile, "utf8");
        } catch (e) {
            errors.push(`${manifestFile}: cannot be read (${(e as Error).message}); make it a readable JSON file`);
        }
        if (text !== undefined) {
            const checked = checkManifest(text, manifestFile);
            errors.push(...checked.errors);
            manifest = checked.manifest;
        }
        manifest?.models.forEach((m, i) => {
            const file = path.join(dir, m.path);
            if (m.framework === "tensorflow") {
                if (!isDirectory(file)) {
                    errors.push(`${file}: models[${i}] ("${m.name}") is framework "tensorflow", so path "${m.path}" must be a SavedModel directory ` +
                        `(containing ${SAVED_MODEL_FILE}) but ${fs.existsSync(file) ? "it is not a directory" : "it does not exist"} in ${dir}; ` +
                        `save the model there with tf.saved_model.save (or model.export) or fix models[${i}].path in ${manifestFile}`);
                } else if (!isFile(path.join(file, SAVED_MODEL_FILE))) {
                    errors.push(`${path.join(file, SAVED_MODEL_FILE)}: missing; models[${i}] ("${m.name}") is framework "tensorflow", so "${m.path}" ` +
                        `must be a SavedModel directory; save the model there with tf.saved_model.save (or model.export) or fix models[${i}].path in ${manifestFile}`);
                }
            } else if (!isFile(file)) {
                errors.push(`${file}: models[${i}] ("${m.name}") names path "${m.path}" but no such file exists in ${dir}; train/copy the model there or fix models[${i}].path in ${manifestFile}`);
            } else if (fs.statSync(file).size === 0) {
                errors.push(`${file}: models[${i}] ("${m.name}") names an empty (0-byte) model file, which no framework can load; write the trained model there or fix models[${i}].path in ${manifestFile}`);
            }
        });
    }
    return { errors, warnings, ...(manifest ? { manifest } : {}), ...(walk.problems.length === 0 ? { entries: walk.entries } : {}) };
}
