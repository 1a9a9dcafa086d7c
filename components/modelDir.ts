/**
 * Checks a model directory before anything is packed or declared: the layout the
 * SageMaker PyTorch container expects (`code/inference.py` with the four handlers),
 * the manifest, and the files the manifest names (a SavedModel directory for `tensorflow`). Synchronous, never throws.
 */
import * as fs from "fs";
import * as path from "path";
import { checkManifest, Manifest, MANIFEST_FILE } from "./manifest";

/** Handlers the SageMaker inference toolkit calls; all four must be defined at top level. */
export const REQUIRED_HANDLERS = ["model_fn", "input_fn", "predict_fn", "output_fn"] as const;
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

/** Handlers from {@link REQUIRED_HANDLERS} not defined at top level of `source`. */
export function missingHandlers(source: string): string[] {
    const defined = new Set(topLevelFunctions(source));
    return REQUIRED_HANDLERS.filter((h) => !defined.has(h));
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
        errors.push(`${script}: missing; the PyTorch serving container runs ${INFERENCE_SCRIPT} (SAGEMAKER_PROGRAM=inference.py), create it with ${REQUIRED_HANDLERS.join(", ")}`);
    } else {
        let source: string | undefined;
        try {
            source = fs.readFileSync(script, "utf8");
        } catch (e) {
            errors.push(`${script}: cannot be read (${(e as Error).message}); fix its permissions`);
        }
        const missing = source === undefined ? [] : missingHandlers(source);
        if (missing.length > 0) {
            errors.push(`${script}: does not define ${missing.join(", ")} at top level; add \`def ${missing[0]}(...)\` starting in column 0 for each`);
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
