import { strict as assert } from "assert";
import { floorOf, Row, table, TARGETS, verdicts } from "../../../scripts/bench/benchStartupReport";

const runs = (...walls: number[]) => walls.map((wall) => ({ wall, cpu: wall / 2 }));
const NODE = "`node -e 0`", NPM = "npm running an empty script";
const rows = (pkgNpm: number[], pkgBare: number[], npm: number[], start: number[]): Row[] => [
    { label: "start", old: runs(6, 7, 8), now: runs(...start), floor: [NPM, NODE] },
    { label: "package via npm", old: runs(1.4, 1.5, 1.6), now: runs(...pkgNpm), floor: [NPM, NODE] },
    { label: "package without npm", now: runs(...pkgBare), floor: [NODE] },
    { label: NODE, now: runs(0.09, 0.1, 0.11), floor: [] },
    { label: NPM, now: runs(...npm), floor: [] },
];
const WHICH = { start: "start", packageViaNpm: ["package via npm"], packageWithoutNpm: "package without npm" };

describe("bench:startup's report: each command against its floor, and the targets' verdicts", () => {
    it("sets each command against the sum of its floor rows' medians", () => {
        const r = rows([0.5, 0.45, 0.6], [0.2, 0.15, 0.25], [0.25, 0.3, 0.35], [2, 2.2, 2.4]);
        assert.equal(floorOf(r[1], r), 0.1 + 0.3);
        assert.equal(floorOf(r[2], r), 0.1);
        assert.equal(floorOf(r[3], r), undefined);
        const lines = table(r).split("\n");
        assert.equal(lines[3], "| package via npm | 1.500 (1.40-1.60) | 0.75 | 0.500 (0.45-0.60) | 0.25 | 0.33 | 0.400 | 1.25 |");
        assert.equal(lines[4], "| package without npm | - | - | 0.200 (0.15-0.25) | 0.10 | - | 0.100 | 2.00 |");
        assert.equal(lines[5], "| `node -e 0` | - | - | 0.100 (0.09-0.11) | 0.05 | - | (a floor) | - |");
    });

    it("refuses a floor row that was not measured", () => {
        const r = rows([0.5], [0.2], [0.3], [2]);
        assert.throws(() => floorOf({ label: "x", now: runs(1), floor: ["nope"] }, r), /no floor row "nope"/);
    });

    it("says met when the median is within the target", () => {
        const v = verdicts(rows([0.28], [0.2], [0.15], [2.4]), WHICH);
        assert.match(v[0], new RegExp(`^- \`npm start\` to its ready line, target <= ${TARGETS.startReady} s: \\*\\*met\\*\\*; median 2.400 s`));
        assert.match(v[1], /^- package via npm, target <= 0.3 s: \*\*met\*\*; median 0.280 s, 1.12 times its floor of 0.250 s, the project's own share 0.030 s\.$/);
        assert.match(v[2], /^- package without npm, against the same 0.3 s: \*\*met\*\*; median 0.200 s/);
    });

    it("says below this machine's floor when the floor alone exceeds the target, and not met when only the command does", () => {
        const v = verdicts(rows([0.39], [0.35], [0.3], [2.6]), WHICH);
        assert.match(v[0], /: \*\*not met\*\*; median 2.600 s, of which npm and node take 0.400 s/);
        assert.match(v[1], /: \*\*below this machine's floor\*\*: its floor alone takes 0.400 s here, more than 0.3 s; median 0.390 s, 0.97 times its floor of 0.400 s, the project's own share -0.010 s \(at the floor, within the noise\)\.$/);
        assert.match(v[2], /: \*\*not met\*\*; median 0.350 s, 3.50 times its floor of 0.100 s/);
    });
});
