/**
 * Checks a model directory before anything is packed or declared: the layout the
 * SageMaker PyTorch container expects (`code/inference.py` with model_fn and transform_fn, or the
 * input_fn/predict_fn/output_fn trio),
 * the manifest, and the files the manifest names (a SavedModel directory for `tensorflow`). Synchronous, never throws.
 */
import * as fs from "fs";
import * as path from "path";
import { checkManifest, Manifest, MANIFEST_FILE } from "./manifest";

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
}

/**
 * Names of functions defined at the top level of a Python source: `def name(` or
 * `async def name(` starting in column 0 (indented definitions are methods or nested).
 */
export function topLevelFunctions(source: string): string[] {
    const names: string[] = [];
    for (const line of source.split(/\r?\n/)) {
        const m = /^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(line);
        if (m) names.push(m[1]);
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

/** File a TensorFlow SavedModel directory must contain (issue 3: `tensorflow` = SavedModel). */
export const SAVED_MODEL_FILE = "saved_model.pb";

/** Validates `dir`; every problem is returned at once, each naming the path and the fix. */
export function validateModelDir(dir: string): ModelDirCheck {
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
            }
        });
    }
    return manifest ? { errors, warnings, manifest } : { errors, warnings };
}
