/**
 * The README's performance summary (generated block `performance-summary`): each speed target beside the figure
 * the benchmarks last saved in docs/figures/ and whether it is met. It reads the saved reports' tables, so it never
 * shows a figure the reports do not hold; a report whose layout changed fails here naming the row it looked for.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO, Rendered } from "./blocks";

/** Requests/s at concurrency 16 of the first version of the local endpoint (mixed, single items): the 1.5x baseline. */
export const FIRST_VERSION_RPS = { mixed: 84, single: 202 };

/** The cells of the first table row whose leading cells equal `lead`, or an error naming the row and file. */
export function row(markdown: string, file: string, ...lead: string[]): string[] {
    for (const line of markdown.split("\n")) {
        if (!line.startsWith("|")) continue;
        const cells = line.slice(1, line.endsWith("|") ? -1 : undefined).split("|").map((c) => c.trim());
        if (lead.every((l, i) => cells[i] === l)) return cells;
    }
    throw new Error(`${file} has no table row starting ${lead.map((l) => `"${l}"`).join(" | ")}; rerun its benchmark`);
}

/** The first number of a cell ("2.69 (2.69-2.69)" -> 2.69; "1.88x" -> 1.88). */
export function num(cell: string): number {
    const m = /-?\d+(?:\.\d+)?/.exec(cell);
    if (!m) throw new Error(`no number in table cell "${cell}"`);
    return Number(m[0]);
}

export interface Target { target: string; measured: string; met: "yes" | "no" | "partly"; figures: string }

const verdict = (oks: boolean[]): Target["met"] => (oks.every(Boolean) ? "yes" : oks.some(Boolean) ? "partly" : "no");

/** The serving targets, from docs/figures/bench-serve.md. */
export function serveTargets(md: string, file = "docs/figures/bench-serve.md"): Target[] {
    const p50 = (key: string) => num(row(md, file, key, "tuned")[3]);
    const floorRatio = (key: string) => num(row(md, file, key, "tuned")[7]);
    const rps = (load: string) => num(row(md, file, load, "16", "tuned")[5]);
    const errors = ["mixed", "single items"].reduce((n, load) => n + num(row(md, file, load, "16", "tuned")[4]), 0);
    const one = ["fashion x1", "sentiment x1"].map((k) => [k, p50(k)] as const);
    const images = floorRatio("fashion x64");
    const mixed = rps("mixed"), single = rps("single items");
    const link = `[bench-serve](${file})`;
    return [
        { target: "one item, end-to-end p50 <= 3 ms", measured: one.map(([k, v]) => `${k.replace(" x1", "")} ${v.toFixed(2)} ms`).join(", "),
            met: verdict(one.map(([, v]) => v <= 3)), figures: link },
        { target: "64 images, p50 <= 1.3x the handler in-process", measured: `${images.toFixed(2)}x`, met: verdict([images <= 1.3]), figures: link },
        { target: `concurrency 16, >= 1.5x the first version's ${FIRST_VERSION_RPS.mixed} / ${FIRST_VERSION_RPS.single} requests/s (mixed / single items), 0 errors`,
            measured: `${mixed.toFixed(1)} / ${single.toFixed(1)} requests/s (${(mixed / FIRST_VERSION_RPS.mixed).toFixed(2)}x / ${(single / FIRST_VERSION_RPS.single).toFixed(2)}x)`,
            met: verdict([mixed >= 1.5 * FIRST_VERSION_RPS.mixed && errors === 0, single >= 1.5 * FIRST_VERSION_RPS.single && errors === 0]), figures: link },
    ];
}

export function summaryTable(targets: Target[]): string {
    return ["| target | measured | met | figures |", "|---|---|---|---|",
        ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met} | ${t.figures} |`)].join("\n");
}

export async function performanceSummary(): Promise<Rendered> {
    const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), "utf8");
    return { text: summaryTable([...serveTargets(read("docs/figures/bench-serve.md"))]) };
}
