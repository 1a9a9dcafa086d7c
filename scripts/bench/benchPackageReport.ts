/** The tables `npm run bench:package` prints (and `--write` saves): pure formatting of the timed samples. */
import { SHAPE_TITLES, Shape } from "./benchShapes";

/** Where `--write` saves the output (included in docs/packaging.md by `npm run docs -- --write`). */
export const FIGURES_FILE = "docs/figures/bench-package.md";
const MIB = 1048576;

export interface Method {
    /** For --methods. */
    id: string;
    name: string;
    /** How the figure is taken, for the output's legend. */
    how: string;
    command: (dir: string, out: string) => string[];
    /** true: the archive and its cache record are removed before each run; false: timed as an unchanged rerun. */
    cold: boolean;
}

export interface Sample { ms: number; cpuMs: number; rssMb: number; stdout?: string; bytes?: number; sha256?: string }

export interface ShapeResult {
    shape: Shape;
    inputBytes: number;
    files: number;
    samples: Map<Method, Sample[]>;
    floorMs: number;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const secs = (ms: number) => (ms / 1000).toFixed(2);

/**
 * One shape's Markdown table: per method the median wall time (min-max), `package / this` (the median of
 * `package` over the method's median: below 1 means package is faster), CPU, archive size and peak RSS; then
 * the floor estimate. Throws when the package runs disagree on the archive's sha256 (the bytes must not
 * depend on --jobs or on the run).
 */
export function formatShape(r: ShapeResult, runs: number, startupMs: number): string[] {
    const methods = [...r.samples.keys()];
    const med = (m: Method) => median(r.samples.get(m)!.map((s) => s.ms));
    const pkg = med(methods[0]);
    const shas = new Set(methods.filter((m) => m.id.startsWith("package")).flatMap((m) => r.samples.get(m)!.map((s) => s.sha256)));
    if (shas.size !== 1 || shas.has(undefined)) throw new Error(`${r.shape}: package runs gave different archives (${[...shas].join(", ")})`);
    const lines = [
        "",
        `### ${r.shape}: ${SHAPE_TITLES[r.shape]} (here ${(r.inputBytes / MIB).toFixed(1)} MiB in ${r.files} files), ${runs} round${runs > 1 ? "s" : ""}`,
        "",
        "| method | median s (min-max) | package / this | CPU s (user+sys) | archive MiB | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ];
    for (const m of methods) {
        const ss = r.samples.get(m)!;
        const ms = ss.map((s) => s.ms);
        lines.push(`| ${m.name.replace(/\|/g, "\\|")} | ${secs(med(m))} (${secs(Math.min(...ms))}-${secs(Math.max(...ms))}) | ${(pkg / med(m)).toFixed(2)} `
            + `| ${secs(median(ss.map((s) => s.cpuMs)))} | ${((ss[0].bytes ?? 0) / MIB).toFixed(1)} | ${Math.max(...ss.map((s) => s.rssMb)).toFixed(0)} |`);
    }
    lines.push("", `Floor estimate ${secs(r.floorMs)} s (start-up ${secs(startupMs)} s + the work's CPU over the cores, or its sha256 pass if longer); `
        + `package / floor = ${(pkg / r.floorMs).toFixed(2)}. Every package run gave the same archive (sha256 ${[...shas][0]!.slice(0, 16)}…).`);
    return lines;
}
