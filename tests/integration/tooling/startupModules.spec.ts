/**
 * What the commands load when they start (docs/commands.md): an unchanged `npm run package` rerun answers from
 * the cache record without loading the archive writer, ajv's compiler or the progress bar, and still notices an
 * edit to any file of the model directory; `npm start`'s modules leave out the AWS SDK's SageMaker client, ajv's
 * compiler and the components topology; `npm run smoke -- --help` does not load the AWS SDK. Each run is a fresh
 * node process started the way the npm scripts start it.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cleanupTempDirs, makeModelDir, tempDir } from "../../support/archiveFixtures";

const ROOT = path.resolve(__dirname, "..", "..", "..");
/** Modules that only packing an archive needs. */
const WRITER = ["packaging/tarStream.ts", "packaging/gzipMembers.ts", "node_modules/tar/", "node_modules/cli-progress/"];
/** ajv's schema compiler (the standalone validators need only ajv/dist/runtime/). */
const AJV_COMPILER = ["node_modules/ajv/dist/core.js", "node_modules/ajv/dist/2020.js", "node_modules/ajv/dist/compile/"];

/** Runs `args` with node and the npm scripts' loader; returns its output and the files it had loaded when it exited. */
function runNode(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
    const dir = tempDir("startup-modules-");
    const list = path.join(dir, "loaded.json");
    const probe = path.join(dir, "probe.js");
    fs.writeFileSync(probe, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const r = spawnSync(process.execPath, ["-r", "./scripts/launch/register.js", "-r", probe, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120000 });
    const loaded = fs.existsSync(list) ? (JSON.parse(fs.readFileSync(list, "utf8")) as string[]).map((f) => path.relative(ROOT, f)) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

const loadedOf = (loaded: string[], prefixes: string[]) => loaded.filter((f) => prefixes.some((p) => f.startsWith(p)));

describe("what the commands load when they start", function () {
    this.timeout(180000);
    after(cleanupTempDirs);

    it("an unchanged npm run package rerun loads neither the archive writer nor ajv's compiler, and an edited file is packed again", () => {
        const dir = makeModelDir();
        const out = path.join(tempDir("startup-out-"), "model.tar.gz");
        const pack = () => runNode(["scripts/package.ts", "--model-dir", dir, "--out", out, "--quiet"]);
        const first = pack();
        assert.equal(first.status, 0, first.stderr);
        assert.ok(loadedOf(first.loaded, ["packaging/tarStream.ts", "packaging/gzipMembers.ts"]).length === 2, "packing loads the writer");

        const rerun = pack();
        assert.equal(rerun.status, 0, rerun.stderr);
        assert.match(rerun.stdout, /nothing changed: reused the previous archive/);
        assert.deepEqual(loadedOf(rerun.loaded, [...WRITER, ...AJV_COMPILER]), []);
        assert.ok(rerun.loaded.includes("packaging/manifest.ts"), "the rerun still validates the model directory");

        const inference = path.join(dir, "code", "inference.py");
        fs.appendFileSync(inference, "# edited\n");
        const edited = pack();
        assert.equal(edited.status, 0, edited.stderr);
        assert.doesNotMatch(edited.stdout, /reused the previous archive/);
        assert.notEqual(/^sha256 (\w+)$/m.exec(edited.stdout)?.[1], /^sha256 (\w+)$/m.exec(first.stdout)?.[1]);
    });

    it("npm run smoke -- --help answers without loading the AWS SDK", () => {
        const r = runNode(["scripts/smoke/smoke.ts", "--help"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Usage: npm run smoke/);
        assert.deepEqual(loadedOf(r.loaded, ["node_modules/@aws-sdk/", "node_modules/@smithy/"]), []);
    });

    it("npm start's modules leave out the SageMaker client, ajv's compiler and the components topology", () => {
        const r = runNode(["-e", "require('./local/start.ts')"]);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.loaded.includes("local/endpoint.ts"), r.loaded.join("\n"));
        assert.deepEqual(loadedOf(r.loaded, ["node_modules/@aws-sdk/client-sagemaker/", "local/components.ts", ...AJV_COMPILER]), []);
    });
});
