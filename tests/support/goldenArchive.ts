/** A fixed small model directory whose archive bytes are pinned by tests/integration/packaging/archiveBytes.spec.ts. */
import { seededBytes, validModelFiles } from "./archiveFixtures";

/**
 * The pinned directory: the valid model directory plus 60 small files (text and binary), an empty file,
 * a sparse tensor (runs of zeros: Z_RLE members), random bytes (stored members) and a text file larger
 * than one 64 KiB member, so every member kind and the small-file path are covered.
 */
export function goldenModelFiles(): Record<string, Buffer | string> {
    const files: Record<string, Buffer | string> = { ...validModelFiles() };
    for (let i = 0; i < 60; i++) {
        const rel = `assets/${String(i % 7)}/item-${String(i).padStart(3, "0")}`;
        files[i % 2 === 0 ? `${rel}.json` : `${rel}.bin`] = i % 2 === 0
            ? JSON.stringify({ id: i, label: `label-${i}`, values: Array.from({ length: 20 + i * 13 }, (_, k) => (k * i) % 97) })
            : seededBytes(100 + i * 997, `small-${i}`);
    }
    files["assets/empty.txt"] = "";
    const sparse = Buffer.alloc(600_000);
    const noise = seededBytes(sparse.length / 10, "sparse");
    for (let i = 0; i < noise.length; i++) sparse[i * 10 + (noise[i] % 10)] = noise[i];
    files["tensors/sparse.bin"] = sparse;
    files["tensors/random.bin"] = seededBytes(450_000, "random");
    files["tokenizer/vocab.txt"] = Array.from({ length: 9000 }, (_, i) => `token_${(i * 7919) % 10007} ${i}`).join("\n");
    return files;
}
