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

/** The trimmed cells of a Markdown table line (`| a | b |` -> ["a", "b"]). */
const cellsOf = (line: string): string[] => line.slice(1, line.endsWith("|") ? -1 : undefined).split("|").map((c) => c.trim());

/**
 * The cells of the first table row whose leading cells equal `lead` (a lead ending in "*" matches a cell starting
 * with the rest), or an error naming the row and file.
 */
export function row(markdown: string, file: string, ...lead: string[]): string[] {
    const matches = (cell: string, l: string) => (l.endsWith("*") ? cell.startsWith(l.slice(0, -1)) : cell === l);
    for (const line of markdown.split("\n")) {
        if (!line.startsWith("|")) continue;
        const cells = cellsOf(line);
        if (lead.every((l, i) => cells[i] !== undefined && matches(cells[i], l))) return cells;
    }
    throw new Error(`${file} has no table row starting ${lead.map((l) => `"${l}"`).join(" | ")}; rerun its benchmark`);
}

/**
 * The cell in column `column` (named in the header) of the row starting `lead`, in the table whose header has that
 * column; an error naming the column or the row when the report has neither.
 */
export function cellUnder(markdown: string, file: string, column: string, lead: string): string {
    const lines = markdown.split("\n");
    const top = lines.findIndex((l) => l.startsWith("|") && cellsOf(l).includes(column));
    if (top < 0) throw new Error(`${file} has no table with a column "${column}"; rerun its benchmark`);
    const end = lines.findIndex((l, i) => i > top && !l.startsWith("|"));
    const index = cellsOf(lines[top]).indexOf(column);
    return row(lines.slice(top + 1, end < 0 ? undefined : end).join("\n"), file, lead)[index];
}

/** The first number of a cell ("2.69 (2.69-2.69)" -> 2.69; "1.88x" -> 1.88). */
export function num(cell: string): number {
    const m = /-?\d+(?:\.\d+)?/.exec(cell);
    if (!m) throw new Error(`no number in table cell "${cell}"`);
    return Number(m[0]);
}

export interface Target {
    target: string; measured: string; figures: string;
    met: "yes" | "no" | "partly" | "below this machine's floor" | "below this request path's floor here";
}

const verdict = (oks: boolean[]): Target["met"] => (oks.every(Boolean) ? "yes" : oks.some(Boolean) ? "partly" : "no");

/** The serving targets, from docs/figures/bench-serve.md. */
export function serveTargets(md: string, file = "docs/figures/bench-serve.md"): Target[] {
    const p50 = (key: string) => num(row(md, file, key, "tuned")[3]);
    const floorRatio = (key: string) => num(row(md, file, key, "tuned")[7]);
    const rps = (load: string) => num(row(md, file, load, "16", "tuned")[5]);
    const errors = ["mixed", "single items"].reduce((n, load) => n + num(row(md, file, load, "16", "tuned")[4]), 0);
    const one = ["fashion x1", "sentiment x1"].map((k) => [k, p50(k)] as const);
    const images = floorRatio("fashion x64");
    const imagesFloor = num(cellUnder(md, file, "path / stand-in busy", "fashion x64"));
    const mixed = rps("mixed"), single = rps("single items");
    const link = `[bench-serve](${file})`;
    return [
        { target: "one item, end-to-end p50 <= 3 ms", measured: one.map(([k, v]) => `${k.replace(" x1", "")} ${v.toFixed(2)} ms`).join(", "),
            met: verdict(one.map(([, v]) => v <= 3)), figures: link },
        { target: "64 images, p50 <= 1.3x the handler in-process", figures: link,
            measured: `${images.toFixed(2)}x; the same path around a stand-in handler busy for the handler's time: ${imagesFloor.toFixed(2)}x here`,
            met: images <= 1.3 ? "yes" : imagesFloor > 1.3 ? "below this request path's floor here" : "no" },
        { target: `concurrency 16, >= 1.5x the first version's ${FIRST_VERSION_RPS.mixed} / ${FIRST_VERSION_RPS.single} requests/s (mixed / single items), 0 errors`,
            measured: `${mixed.toFixed(1)} / ${single.toFixed(1)} requests/s (${(mixed / FIRST_VERSION_RPS.mixed).toFixed(2)}x / ${(single / FIRST_VERSION_RPS.single).toFixed(2)}x)`,
            met: verdict([mixed >= 1.5 * FIRST_VERSION_RPS.mixed && errors === 0, single >= 1.5 * FIRST_VERSION_RPS.single && errors === 0]), figures: link },
    ];
}

/** The packaging targets, from docs/figures/bench-package.md (one section per directory shape). */
export function packageTargets(md: string, file = "docs/figures/bench-package.md"): Target[] {
    const shapes = md.split(/^### /m).slice(1).map((section) => {
        const name = section.slice(0, section.indexOf(":"));
        const floor = /package \/ floor = (\d+(?:\.\d+)?)/.exec(section);
        if (!floor) throw new Error(`${file}: the ${name} section states no "package / floor"; rerun its benchmark`);
        return { name, pigz: num(row(section, file, "pigz -1 -p2")[2]), floor: Number(floor[1]) };
    });
    if (shapes.length === 0) throw new Error(`${file} has no directory-shape sections; rerun its benchmark`);
    const link = `[bench-package](${file})`;
    return [
        { target: "package / `pigz -1 -p2` <= 1.0 on each directory shape", measured: shapes.map((x) => `${x.name} ${x.pigz.toFixed(2)}`).join(", "),
            met: verdict(shapes.map((x) => x.pigz <= 1)), figures: link },
        { target: "package within 1.5x of the floor estimate", measured: shapes.map((x) => `${x.name} ${x.floor.toFixed(2)}x`).join(", "),
            met: verdict(shapes.map((x) => x.floor <= 1.5)), figures: link },
    ];
}

/** The start-up targets, from docs/figures/startup.md. */
export function startupTargets(md: string, file = "docs/figures/startup.md"): Target[] {
    const start = row(md, file, "`npm start` to its ready line*");
    const rerun = row(md, file, "unchanged `npm run package` rerun (system npm*");
    const bare = row(md, file, "unchanged rerun without npm*");
    const link = `[startup](${file})`;
    const [startS, rerunS, rerunFloor, bareS] = [num(start[3]), num(rerun[3]), num(rerun[6]), num(bare[3])];
    return [
        { target: "`npm start` to `ready` <= 2.5 s", measured: `${startS.toFixed(2)} s`, met: verdict([startS <= 2.5]), figures: link },
        { target: "unchanged `npm run package` rerun <= 0.3 s", measured: `${rerunS.toFixed(2)} s; npm and node alone take ${rerunFloor.toFixed(2)} s ` +
            `here; without npm ${bareS.toFixed(2)} s`, met: rerunS <= 0.3 ? "yes" : rerunFloor > 0.3 ? "below this machine's floor" : "no", figures: link },
    ];
}

export function summaryTable(targets: Target[]): string {
    return ["| target | measured | met | figures |", "|---|---|---|---|",
        ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met} | ${t.figures} |`)].join("\n");
}

export async function performanceSummary(): Promise<Rendered> {
    const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), "utf8");
    return { text: summaryTable([...packageTargets(read("docs/figures/bench-package.md")), ...startupTargets(read("docs/figures/startup.md")),
        ...serveTargets(read("docs/figures/bench-serve.md"))]) };
}
