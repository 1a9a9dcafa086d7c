/** Temporary model directories for the archive, model-dir and cache tests. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const VALID_INFERENCE = [
    "import json",
    "",
    "def model_fn(model_dir):",
    "    return {}",
    "",
    "def input_fn(body, content_type):",
    "    return json.loads(body)",
    "",
    "def predict_fn(data, models):",
    "    return data",
    "",
    "def output_fn(prediction, accept):",
    "    return json.dumps(prediction)",
    "",
].join("\n");

export const VALID_MANIFEST = {
    models: [
        { name: "fashion", framework: "pytorch", path: "fashion/model.pt", task: "image-classification",
          labels: ["a", "b"], input: { kind: "image", shape: [28, 28], dtype: "uint8", range: [0, 255], maxBatch: 256 },
          memoryBytes: 1234567, pinned: true },
        { name: "sentiment", framework: "sklearn", path: "sentiment/model.joblib", task: "text-classification",
          labels: ["Neutral", "Negative", "Positive"], input: { kind: "text", dtype: "string", maxLength: 5000, maxBatch: 256 },
          memoryBytes: 2345678 },
    ],
};

/** Deterministic pseudo-random bytes (so fixtures are identical across runs). */
export function seededBytes(n: number, seed: string): Buffer {
    const out = Buffer.alloc(n);
    let block = crypto.createHash("sha256").update(seed).digest();
    for (let off = 0; off < n; off += block.length) {
        block.copy(out, off);
        block = crypto.createHash("sha256").update(block).digest();
    }
    return out;
}

/** The files of a valid model directory, relative posix path -> content. */
export function validModelFiles(): Record<string, Buffer | string> {
    return {
        "code/inference.py": VALID_INFERENCE,
        "code/requirements.txt": "joblib\n",
        "models.json": JSON.stringify(VALID_MANIFEST, null, 2),
        "fashion/model.pt": seededBytes(300_000, "fashion"),
        "sentiment/model.joblib": Buffer.concat([seededBytes(5000, "sentiment"), Buffer.from("text ".repeat(1000))]),
    };
}

/** Creates a fresh temp dir; removed by `cleanupTempDirs`. */
const created: string[] = [];
export function tempDir(prefix = "archive-test-"): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    created.push(d);
    return d;
}

export function cleanupTempDirs(): void {
    while (created.length > 0) fs.rmSync(created.pop()!, { recursive: true, force: true });
}

/** Writes `files` under `root` in the given order (creating directories as needed). */
export function writeFiles(root: string, files: Record<string, Buffer | string>, order?: string[]): string {
    for (const rel of order ?? Object.keys(files)) {
        const abs = path.join(root, rel);
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.writeFileSync(abs, files[rel]);
    }
    return root;
}

/** A new temp model directory holding `files` (default: a valid model directory). */
export function makeModelDir(files: Record<string, Buffer | string> = validModelFiles(), order?: string[]): string {
    return writeFiles(path.join(tempDir(), "model"), files, order);
}

export function sha256File(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Every regular file under `root` (relative posix path -> sha256), for comparing extracted trees. */
export function treeDigest(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string): void => {
        for (const name of fs.readdirSync(d).sort()) {
            const abs = path.join(d, name);
            const r = rel ? `${rel}/${name}` : name;
            if (fs.statSync(abs).isDirectory()) walk(abs, r);
            else out[r] = sha256File(abs);
        }
    };
    walk(root, "");
    return out;
}
