/**
 * `npm run bench:package` works end to end at a tiny scale (the real run takes minutes per shape and is not
 * part of npm test): it times the whole `npm run package` command and a baseline, and prints the table with
 * the ratio package/baseline, the floor estimate and how each figure was taken.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { cleanupTempDirs, tempDir } from "../../support/archiveFixtures";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("npm run bench:package at a tiny scale", function () {
    this.timeout(240000);
    after(cleanupTempDirs);

    it("times npm run package and pigz -1 on the small-files shape and prints their ratio and the floor estimate", () => {
        const r = spawnSync("npm", ["run", "bench:package", "--silent", "--", "--scale", "0.002", "--runs", "1", "--shapes", "small",
            "--methods", "package,pigz-1", "--tmp", tempDir("bench-test-")], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^### small: 202 MiB in 5,005 files \(here 0\.4 MiB in 15 files\), 1 round$/m);
        const pkg = /^\| package \| (\d+\.\d\d) \(\d+\.\d\d-\d+\.\d\d\) \| 1\.00 \| \d+\.\d\d \| \d+\.\d \| \d+ \|$/m.exec(r.stdout);
        const pigz = /^\| pigz -1 -p2 \| (\d+\.\d\d) \(\d+\.\d\d-\d+\.\d\d\) \| (\d+\.\d\d) \|/m.exec(r.stdout);
        assert.ok(pkg && pigz, r.stdout);
        // the printed medians are rounded to 0.01 s: the ratio lies within what that rounding allows
        const [p, q, ratio] = [Number(pkg[1]), Number(pigz[1]), Number(pigz[2])];
        assert.ok(ratio >= (p - 0.005) / (q + 0.005) - 0.005 && ratio <= (p + 0.005) / Math.max(q - 0.005, 0.0001) + 0.005,
            `ratio ${ratio} is package/pigz (${p} / ${q})`);
        assert.match(r.stdout, /^Floor estimate \d+\.\d\d s .*package \/ floor = \d+\.\d\d\. Every package run gave the same archive/m);
        assert.match(r.stdout, /^- pigz -1 -p2: `tar -cf - -C D \. \| pigz -1 -p2 > O`/m);
    });

    it("refuses a bad --scale and an unknown method in one line", () => {
        const r = spawnSync("npm", ["run", "bench:package", "--silent", "--", "--scale", "0", "--methods", "package,zip"], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.status, 1);
        assert.equal(r.stderr.trim(), "bench:package: --scale 0 must be a number above 0 and at most 4; "
            + "--methods: unknown method in package,zip (one of package, package-jobs1, package-jobs2, package-rerun, gnu-tar, tar-pigz, pigz-1, python-tarfile); "
            + "see npm run bench:package -- --help");
    });
});
