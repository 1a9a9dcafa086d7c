/** scripts/docs/performance.ts: the README's performance summary, read from the saved benchmark reports' tables. */
import * as assert from "assert";
import { cellUnder, num, packageTargets, row, serveTargets, startupTargets, summaryTable } from "../../../scripts/docs/performance";

/** A bench-serve report's rows, in the layout scripts/bench/serveBench/report.ts writes. */
function serveReport(o: { fashion: number; sentiment: number; images: number; mixed: number; single: number; errors?: number; imagesFloor?: number }): string {
    return [
        "| payload | endpoint | n | p50 | p95 | p99 | floor p50 | p50 / floor p50 | p50 / baseline p50 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        `| fashion x1 | tuned | 800 | ${o.fashion.toFixed(2)} | 5.00 | 6.00 | 0.31 | 9.00x | 1.00x |`,
        "| fashion x64 | baseline | 800 | 22.00 | 29.00 | 46.00 | 40.00 | 0.55x | - |",
        `| fashion x64 | tuned | 800 | 15.00 | 20.00 | 25.00 | 11.00 | ${o.images.toFixed(2)}x | 0.70x |`,
        `| sentiment x1 | tuned | 800 | ${o.sentiment.toFixed(2)} | 5.00 | 6.00 | 1.00 | 3.00x | 1.00x |`,
        "| load | concurrency | endpoint | requests | errors | requests/s | / baseline |",
        `| mixed | 16 | tuned | 800 | ${o.errors ?? 0} | ${o.mixed.toFixed(1)} | 1.10x |`,
        `| single items | 16 | tuned | 800 | 0 | ${o.single.toFixed(1)} | 1.20x |`,
        "**Where the time goes** (tuned endpoint, ...):",
        "| payload | full path (SDK -> runtime API) | SDK alone | direct to the model server | floor: the handler | model server + worker pipe | runtime API + its hop | stand-in busy | path around the stand-in | path / stand-in busy |",
        "| fashion x1 | 2.45 | 0.61 | 1.08 | 0.32 | 0.76 | 0.75 | 0.31 | 2.40 | 7.74x |",
        `| fashion x64 | 16.70 | 1.09 | 14.13 | 11.98 | 2.15 | 1.48 | 11.50 | 15.00 | ${(o.imagesFloor ?? 1.2).toFixed(2)}x |`,
    ].join("\n");
}

describe("the README's performance summary", () => {
    it("marks each serving target met, partly met or not met from the report's figures", () => {
        const t = serveTargets(serveReport({ fashion: 2.9, sentiment: 3.4, images: 1.45, mixed: 151.9, single: 458.1 }));
        assert.deepStrictEqual(t.map((x) => [x.measured, x.met]), [
            ["fashion 2.90 ms, sentiment 3.40 ms", "partly"],
            ["1.45x; the same path around a stand-in handler busy for the handler's time: 1.20x here", "no"],
            ["151.9 / 458.1 requests/s (1.81x / 2.27x)", "yes"],
        ]);
    });

    it("calls the 64-image ratio below the request path's floor only when the stand-in path alone passes 1.3x", () => {
        const met = (images: number, imagesFloor: number) => serveTargets(serveReport({ fashion: 2, sentiment: 2, images, mixed: 200, single: 500, imagesFloor }))[1].met;
        assert.strictEqual(met(1.45, 1.35), "below this request path's floor here");
        assert.strictEqual(met(1.45, 1.3), "no", "a floor of exactly 1.3x leaves the target reachable");
        assert.strictEqual(met(1.25, 1.35), "yes", "a figure under the target is met whatever the floor");
        const report = serveReport({ fashion: 2, sentiment: 2, images: 1.4, mixed: 200, single: 500 });
        assert.throws(() => serveTargets(report.split("**Where the time goes**")[0], "docs/figures/bench-serve.md"),
            /^Error: docs\/figures\/bench-serve\.md has no table with a column "path \/ stand-in busy"; rerun its benchmark$/);
        // a report whose how-taken text names the section before the latency table still reads the breakdown's row
        const t = serveTargets("- **Where the time goes**: ...\n" + report);
        assert.match(t[1].measured, /stand-in handler busy for the handler's time: 1\.20x here$/);
    });

    it("does not count throughput with errors as met", () => {
        const t = serveTargets(serveReport({ fashion: 2, sentiment: 2, images: 1.2, mixed: 200, single: 500, errors: 3 }));
        assert.deepStrictEqual(t.map((x) => x.met), ["yes", "yes", "no"]);
    });

    it("names the report and the row it looked for when a report lacks it", () => {
        assert.throws(() => row("| a | b |", "docs/figures/x.md", "fashion x1", "tuned"),
            /^Error: docs\/figures\/x\.md has no table row starting "fashion x1" \| "tuned"; rerun its benchmark$/);
        assert.throws(() => num("-"), /no number in table cell "-"/);
    });

    it("reads a cell by its column's name, in the rows of that column's table only", () => {
        const md = ["| key | a | b |", "|---|---:|---:|", "| x | 1 | 2 |", "", "| key | c |", "|---|---:|", "| x | 3 |"].join("\n");
        assert.strictEqual(cellUnder(md, "f.md", "b", "x"), "2");
        assert.strictEqual(cellUnder(md, "f.md", "c", "x"), "3");
        assert.throws(() => cellUnder(md, "f.md", "c", "y"), /^Error: f\.md has no table row starting "y"; rerun its benchmark$/);
    });

    it("renders one table row per target", () => {
        const text = summaryTable([{ target: "t", measured: "m", met: "yes", figures: "f" }]);
        assert.strictEqual(text, "| target | measured | met | figures |\n|---|---|---|---|\n| t | m | yes | f |");
    });

    it("reads package / pigz and package / floor of every directory shape of the packaging report", () => {
        const section = (name: string, pigz: number, floor: number) => [`### ${name}: a shape`, "",
            "| method | median s (min-max) | package / this | CPU s |", "|---|---|---|---|",
            "| package | 2.00 (2.00-2.00) | 1.00 | 3.00 |", `| pigz -1 -p2 | 9.00 (9.00-9.00) | ${pigz.toFixed(2)} | 9.00 |`, "",
            `Floor estimate 1.00 s; package / floor = ${floor.toFixed(2)}.`, ""].join("\n");
        const t = packageTargets(["<!-- header -->", section("weights", 0.18, 1.4), section("small", 1.02, 2.29)].join("\n"));
        assert.deepStrictEqual(t.map((x) => [x.measured, x.met]), [["weights 0.18, small 1.02", "partly"], ["weights 1.40x, small 2.29x", "partly"]]);
        assert.throws(() => packageTargets("### weights: x\n| pigz -1 -p2 | 1 | 0.5 |\n"), /the weights section states no "package \/ floor"/);
    });

    it("tells a start-up target below this machine's floor from one not met", () => {
        const report = (rerun: number, floor: number) => ["| command | old | CPU | now | CPU | now / old | floor s | now / floor |",
            `| \`npm start\` to its ready line (system npm 11 on Node 20) | 6.0 | - | 2.40 (2.3-2.5) | - | 0.4 | 0.41 | 5.8 |`,
            `| unchanged \`npm run package\` rerun (system npm 11 on Node 20) | 1.3 | 1.7 | ${rerun} (0.4-0.5) | 0.5 | 0.3 | ${floor} | 1.1 |`,
            "| unchanged rerun without npm (`node … scripts/package.ts`) | 1.1 | 1.4 | 0.16 (0.16-0.16) | 0.15 | 0.14 | 0.10 | 1.6 |"].join("\n");
        assert.deepStrictEqual(startupTargets(report(0.46, 0.41)).map((x) => x.met), ["yes", "below this machine's floor"]);
        assert.deepStrictEqual(startupTargets(report(0.46, 0.25)).map((x) => x.met), ["yes", "no"]);
        assert.match(startupTargets(report(0.46, 0.41))[1].measured, /^0\.46 s; npm and node alone take 0\.41 s here; without npm 0\.16 s$/);
    });
});
