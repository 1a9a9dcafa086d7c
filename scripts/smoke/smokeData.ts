/** The smoke test's data (local/smoke-data/) and its small pure helpers. */
import * as fs from "fs";
import * as path from "path";

export const DATA_DIR = path.resolve(__dirname, "..", "..", "local", "smoke-data");

export interface SmokeCase { model: string; input: unknown; label: string }

/** The committed smoke data as request items, in file order. */
export function loadSmokeData(dir = DATA_DIR): { model: string; cases: SmokeCase[] }[] {
    const fashion = JSON.parse(fs.readFileSync(path.join(dir, "fashion-mnist-sample.json"), "utf8"));
    const [rows, cols] = fashion.shape as [number, number];
    const images: SmokeCase[] = fashion.items.map((it: { pixels: string; label: string }) => {
        const px = Buffer.from(it.pixels, "base64");
        if (px.length !== rows * cols) throw new Error(`fashion-mnist-sample.json: an image has ${px.length} bytes, expected ${rows * cols}`);
        const image = Array.from({ length: rows }, (_, r) => Array.from(px.subarray(r * cols, (r + 1) * cols)));
        return { model: fashion.model, input: image, label: it.label };
    });
    const sentiment = JSON.parse(fs.readFileSync(path.join(dir, "sentiment-sample.json"), "utf8"));
    const texts: SmokeCase[] = sentiment.items.map((it: { text: string; label: string }) => ({ model: sentiment.model, input: it.text, label: it.label }));
    return [{ model: fashion.model, cases: images }, { model: sentiment.model, cases: texts }];
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. Pure. */
export function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[Math.min(rank, sorted.length) - 1];
}

/** Splits items into a one-item batch (the article's single-item case) and then batches of `size`. Pure. */
export function batches<T>(items: T[], size: number): T[][] {
    if (items.length === 0) return [];
    const out: T[][] = [items.slice(0, 1)];
    for (let i = 1; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}
