import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cleanupTempDirs, makeModelDir, sha256File, tempDir, validModelFiles } from "../../support/archiveFixtures";

const ROOT = path.resolve(__dirname, "..", "..", "..");

function runPackage(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/package.ts", ...args],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run package", function () {
    after(cleanupTempDirs);

    it("prints the sha256, size and file count of the archive it writes", () => {
        const out = path.join(tempDir("cli-out-"), "model.tar.gz");
        const r = runPackage(["--model-dir", makeModelDir(), "--out", out]);
        assert.equal(r.status, 0, r.stderr);
        const sha = /^sha256 ([0-9a-f]{64})$/m.exec(r.stdout);
        assert.ok(sha, r.stdout);
        assert.equal(sha[1], sha256File(out));
        assert.match(r.stdout, /^bytes {2}\d+ \(\d+\.\d\d MiB\)$/m);
        assert.match(r.stdout, /^files {2}5$/m);
    });

    it("exits 1 listing every validation error and writes nothing", () => {
        const files = validModelFiles();
        delete files["code/inference.py"];
        delete files["fashion/model.pt"];
        const dir = makeModelDir(files);
        const out = path.join(tempDir("cli-out-"), "model.tar.gz");
        const r = runPackage(["--model-dir", dir, "--out", out]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^error: .*code\/inference\.py: missing;/m);
        assert.match(r.stderr, /^error: .*fashion\/model\.pt: models\[0\] \("fashion"\) names path/m);
        assert.match(r.stderr, /^2 error\(s\) in .*; nothing was packaged$/m);
        assert.equal(fs.existsSync(out), false);
    });

    it("exits 2 with one line naming the missing option and pointing to --help", () => {
        const r = runPackage(["--out", "x.tar.gz"]);
        assert.equal(r.status, 2);
        assert.equal(r.stderr, "package: --model-dir DIR is required (e.g. --model-dir model-src); see npm run package -- --help\n");
    });
});
