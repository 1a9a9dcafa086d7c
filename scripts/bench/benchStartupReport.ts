/**
 * What `npm run bench:startup` prints (and `--write` saves): pure formatting of the timed samples. Each command is
 * set against its floor on this machine (what starting it costs before any of the project's code runs: npm running
 * an empty script, plus `node -e 0` for the node process the script starts), and the start-up targets are
 * stated met, not met, or below the floor, from the medians measured.
 */

/** Targets for an unchanged `npm run package` rerun and for `npm start` reaching its ready line, in seconds. */
export const TARGETS = { packageRerun: 0.3, startReady: 2.5 };

/** One run: wall seconds, and CPU seconds (user + system, the command and its children) where GNU time is installed. */
export interface Sample { wall: number; cpu?: number }

export interface Row {
    label: string;
    /** The old way (ts-node); undefined where it was not measured. */
    old?: Sample[];
    now: Sample[];
    /** The floor rows' labels whose medians add up to this command's floor (none for the floor rows themselves). */
    floor: string[];
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const walls = (xs: Sample[]) => xs.map((x) => x.wall);
const med = (xs: Sample[]) => median(walls(xs));
const cell = (xs: Sample[] | undefined) => (xs && xs.length > 0
    ? `${med(xs).toFixed(3)} (${Math.min(...walls(xs)).toFixed(2)}-${Math.max(...walls(xs)).toFixed(2)})` : "-");
const cpuCell = (xs: Sample[] | undefined) => (xs && xs.length > 0 && xs.every((x) => x.cpu !== undefined)
    ? median(xs.map((x) => x.cpu!)).toFixed(2) : "-");

/** The floor of `row` in seconds: the sum of the medians of the rows it names; throws on an unknown name. */
export function floorOf(row: Row, rows: readonly Row[]): number | undefined {
    if (row.floor.length === 0) return undefined;
    return row.floor.reduce((sum, label) => {
        const f = rows.find((r) => r.label === label);
        if (!f) throw new Error(`bench:startup: no floor row "${label}"`);
        return sum + med(f.now);
    }, 0);
}

/** The Markdown table: per command old and new medians (wall and CPU), new / old, its floor and new / floor. */
export function table(rows: readonly Row[]): string {
    const lines = ["| command | old way (ts-node): median s (min-max) | CPU s | now (build/js): median s (min-max) | CPU s | now / old | floor s | now / floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"];
    for (const r of rows) {
        const floor = floorOf(r, rows);
        const vsOld = r.old && r.old.length > 0 ? (med(r.now) / med(r.old)).toFixed(2) : "-";
        lines.push(`| ${r.label} | ${cell(r.old)} | ${cpuCell(r.old)} | ${cell(r.now)} | ${cpuCell(r.now)} | ${vsOld} | ` +
            `${floor === undefined ? "(a floor)" : floor.toFixed(3)} | ${floor === undefined ? "-" : (med(r.now) / floor).toFixed(2)} |`);
    }
    return lines.join("\n");
}

/** Labels of the rows the verdicts read. */
export interface VerdictRows { start: string; packageViaNpm: string[]; packageWithoutNpm: string }

const s3 = (x: number) => `${x.toFixed(3)} s`;

/** One line per target: met or not, and for a command whose floor is above its target, that the target is below the floor. */
export function verdicts(rows: readonly Row[], which: VerdictRows): string[] {
    const get = (label: string) => {
        const r = rows.find((x) => x.label === label);
        if (!r) throw new Error(`bench:startup: no row "${label}"`);
        return { r, now: med(r.now), floor: floorOf(r, rows) ?? 0 };
    };
    const verdict = (now: number, floor: number, target: number) => (now <= target ? "**met**"
        : floor > target ? `**below this machine's floor**: its floor alone takes ${s3(floor)} here, more than ${target} s` : "**not met**");
    const share = (now: number, floor: number) => `${(now / floor).toFixed(2)} times its floor of ${s3(floor)}, the project's own share ` +
        `${s3(now - floor)}${now < floor ? " (at the floor, within the noise)" : ""}`;
    const start = get(which.start);
    const lines = [`- \`npm start\` to its ready line, target <= ${TARGETS.startReady} s: ${verdict(start.now, start.floor, TARGETS.startReady)}; ` +
        `median ${s3(start.now)}, of which npm and node take ${s3(start.floor)} and loading the models most of the rest.`];
    for (const label of which.packageViaNpm) {
        const p = get(label);
        lines.push(`- ${label}, target <= ${TARGETS.packageRerun} s: ${verdict(p.now, p.floor, TARGETS.packageRerun)}; median ${s3(p.now)}, ${share(p.now, p.floor)}.`);
    }
    const bare = get(which.packageWithoutNpm);
    lines.push(`- ${which.packageWithoutNpm}, against the same ${TARGETS.packageRerun} s: ${verdict(bare.now, bare.floor, TARGETS.packageRerun)}; ` +
        `median ${s3(bare.now)}, ${share(bare.now, bare.floor)}.`);
    return lines;
}

/** The step table of `npm start`: rows of seconds per run, each as its median (min-max). */
export function stepsTable(steps: ReadonlyArray<{ step: string; seconds: number[] }>): string {
    const lines = ["| step | seconds: median (min-max) |", "|---|---:|"];
    for (const s of steps) {
        lines.push(`| ${s.step} | ${median(s.seconds).toFixed(3)} (${Math.min(...s.seconds).toFixed(3)}-${Math.max(...s.seconds).toFixed(3)}) |`);
    }
    return lines.join("\n");
}
