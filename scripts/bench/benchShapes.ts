/**
 * The three model-directory shapes `npm run bench:package` measures, written reproducibly (a seeded
 * xorshift generator: the same scale always gives the same bytes):
 * - `weights`: 1 GiB of float32 weights (roughly normal, like trained weights) in 12 files
 *   (9 shards + code/inference.py, code/requirements.txt, models.json);
 * - `sparse`: 1 GiB of sparse float32 tensors (90 % zeros, the rest roughly normal) + JSON
 *   (configs and a tokenizer, ~6 % of the bytes);
 * - `small`: ~202 MiB in 5,005 files (5,000 files of 4-77 KiB: half float32 arrays, half JSON).
 * `scale` multiplies the bytes (and the small-file count) for a quick run.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

const MIB = 1048576;

export const SHAPES = ["weights", "sparse", "small"] as const;
export type Shape = (typeof SHAPES)[number];

/** What each shape is, for the bench's output. */
export const SHAPE_TITLES: Record<Shape, string> = {
    weights: "1 GiB float32 weights, 12 files",
    sparse: "1 GiB sparse tensors + JSON",
    small: "202 MiB in 5,005 files",
};

/** xorshift32 in [0, 1): reproducible data without crypto cost. */
export function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        return x / 4294967296;
    };
}

/** `n` reproducible pseudo-random bytes: AES-128-CTR over zeros, keyed by `seed` (fast, not for secrets). */
export function seededRandom(n: number, seed: string): Buffer {
    const key = crypto.createHash("sha256").update(seed).digest().subarray(0, 16);
    return crypto.createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/**
 * `bytes` of float32 values, roughly normal (a sum of two uniforms) with a scale drawn from `r`, like
 * trained weights; about a `zeros` share of them (0-1) set to 0. Reproducible from `r`.
 */
export function floatTensor(bytes: number, r: () => number, zeros = 0): Buffer {
    const count = Math.floor(bytes / 4);
    const scale = (0.01 + r() * 0.1) / 65536;
    const zeroBelow = Math.round(zeros * 256);
    const random = seededRandom(bytes, `tensor-${r()}`);
    const out = random.byteOffset % 4 === 0 ? random : Buffer.from(random); // typed-array views need alignment
    const u = new Int32Array(out.buffer, out.byteOffset, count);
    const f = new Float32Array(out.buffer, out.byteOffset, count);
    for (let i = 0; i < count; i++) {
        const v = u[i];
        f[i] = (v & 0xff) < zeroBelow ? 0 : ((v >> 16) + ((v << 8) >> 16)) * scale;
    }
    return out;
}

const WORDS = "the model layer weight bias token embed attention head norm scale label class score input output shape batch".split(" ");

/** `bytes` of JSON-like text lines. */
export function jsonText(bytes: number, r: () => number): Buffer {
    const parts: string[] = [];
    let n = 0;
    while (n < bytes) {
        const w = WORDS[Math.floor(r() * WORDS.length)];
        const line = `  "${w}_${Math.floor(r() * 50000)}": {"id": ${Math.floor(r() * 1e6)}, "score": ${(r() * 100).toFixed(4)}, "kind": "${w}"},\n`;
        parts.push(line);
        n += line.length;
    }
    return Buffer.from(parts.join("").slice(0, bytes));
}

const INFERENCE = "def model_fn(model_dir):\n    return {}\n\n\ndef transform_fn(model, body, content_type, accept):\n    return body, accept\n";

function writer(dir: string): (rel: string, data: Buffer | string) => void {
    return (rel, data) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), data);
    };
}

function manifest(modelPath: string, bytes: number): string {
    return JSON.stringify({ models: [{ name: "synthetic", framework: "pytorch", path: modelPath, task: "benchmark", labels: ["a", "b"],
        input: { kind: "tabular", shape: [16], dtype: "float32", maxBatch: 64 }, memoryBytes: Math.max(1, bytes) }] }, null, 2);
}

/** Writes shape `shape` at `scale` into the new directory `dir`; returns the bytes of all files. */
export function makeShape(shape: Shape, dir: string, scale = 1): number {
    const write = writer(dir);
    let total = 0;
    const put = (rel: string, data: Buffer | string) => { write(rel, data); total += Buffer.byteLength(data); };
    put("code/inference.py", INFERENCE);
    put("code/requirements.txt", "numpy\n");
    if (shape === "weights") {
        const r = rng(1);
        const shard = Math.floor((1024 * MIB * scale) / 9 / 4) * 4;
        for (let i = 1; i <= 9; i++) put(`weights/model-${String(i).padStart(5, "0")}-of-00009.bin`, floatTensor(shard, r));
        put("models.json", manifest("weights/model-00001-of-00009.bin", shard * 9));
    } else if (shape === "sparse") {
        const r = rng(2);
        const json = Math.floor(64 * MIB * scale);
        const tensor = Math.floor((1024 * MIB * scale - json) / 8 / 4) * 4;
        for (let i = 1; i <= 8; i++) put(`tensors/layer-${i}.bin`, floatTensor(tensor, r, 0.9));
        put("config.json", jsonText(Math.floor(json / 8), r));
        put("tokenizer/tokenizer.json", jsonText(json - Math.floor(json / 8), r));
        put("models.json", manifest("tensors/layer-1.bin", tensor * 8));
    } else {
        const r = rng(3);
        const count = Math.max(4, Math.round(5000 * scale));
        for (let i = 0; i < count; i++) {
            const size = 4096 + Math.floor(r() * 73 * 1024); // 4-77 KiB, ~40.5 KiB on average
            const sub = `shard-${String(Math.floor(i / 100)).padStart(2, "0")}`;
            if (i % 2 === 0) put(`arrays/${sub}/a-${String(i).padStart(5, "0")}.f32`, floatTensor(size, r));
            else put(`records/${sub}/r-${String(i).padStart(5, "0")}.json`, jsonText(size, r));
        }
        put("config.json", jsonText(8192, r));
        put("tokenizer.json", jsonText(Math.floor(MIB * scale), r));
        put("models.json", manifest("arrays/shard-00/a-00000.f32", total));
    }
    return total;
}
