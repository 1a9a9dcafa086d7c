/**
 * The model-directory corpus (tests/fixtures/badModelDirs.ts) through every consumer of the one
 * model-directory walk: the deploy path in archive and in uncompressed mode under Pulumi mocks (one
 * error naming the path, nothing registered), `npm run package` (exit 1, nothing written) and the
 * local endpoint's check (validateModelDir). Then the --out corpus: refused before anything is written.
 */
import { allResources, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { requireSettings } from "../../../config/config";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { validateModelDir } from "../../../packaging/modelDir";
import { runPackage } from "../../../scripts/package";
import { BAD_MODEL_DIRS, BAD_OUTS } from "../../fixtures/badModelDirs";
import { makeModelDir, otherDeclaredKeys, stackFile } from "../../support/endpointFixture";

const IS_ROOT = process.getuid?.() === 0;

function deploy(base: string, modelDataMode: string): Error | undefined {
    const { raw, region } = stackFile("dev");
    try {
        const { settings } = requireSettings({ ...raw, modelDir: "model", modelDataMode },
            { project: "gpu-multi-model-endpoint", stack: "dev", region, otherKeys: otherDeclaredKeys() });
        new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") });
        return undefined;
    } catch (e) {
        return e as Error;
    }
}

async function pack(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [], err: string[] = [];
    const code = await runPackage(argv, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
    return { code, out, err };
}

describe("the model-directory corpus: one walk refuses each hostile directory everywhere, before anything is registered", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("a valid fixture directory deploys in both modes, packs, and passes the local check (the corpus breaks only one thing)", async () => {
        for (const mode of ["archive", "uncompressed"]) {
            const { base } = makeModelDir();
            assert.strictEqual(deploy(base, mode), undefined);
        }
        const { base, dir } = makeModelDir();
        assert.deepStrictEqual(validateModelDir(dir).errors, []);
        assert.strictEqual((await pack(["--model-dir", dir, "--out", path.join(base, "m.tar.gz")])).code, 0);
        await settle();
    });

    for (const row of BAD_MODEL_DIRS) {
        const run = row.root && !IS_ROOT ? it.skip : it;
        for (const mode of ["archive", "uncompressed"]) {
            run(`${mode} mode refuses ${row.what}, naming it, with no resource registered`, async () => {
                const { base, dir } = makeModelDir();
                const where = row.make(dir);
                const e = deploy(base, mode);
                assert.ok(e && pulumi.RunError.isInstance(e), `expected a RunError, got ${e?.stack ?? "none"}`);
                assert.match(e.message.split("\n")[0], /^Model directory .* has \d+ problem\(s\):$/);
                assert.ok(e.message.split("\n").slice(1).some((l) => l.startsWith("  - ") && l.includes(where)), `no problem names ${where}:\n${e.message}`);
                assert.ok(!/^\s+at /m.test(e.message), "no stack trace");
                await settle();
                assert.deepStrictEqual(allResources(), []);
            });
        }
        run(`npm run package refuses ${row.what} with exit 1 and writes nothing`, async () => {
            const { base, dir } = makeModelDir();
            const where = row.make(dir);
            const out = path.join(base, "out", "model.tar.gz");
            const r = await pack(["--model-dir", dir, "--out", out]);
            assert.strictEqual(r.code, 1, r.err.join("\n"));
            assert.ok(r.err.some((l) => l.startsWith("error: ") && l.includes(where)), r.err.join("\n"));
            assert.strictEqual(fs.existsSync(out), false);
        });
        run(`the local endpoint's check (npm start) refuses ${row.what}`, () => {
            const { dir } = makeModelDir();
            const where = row.make(dir);
            assert.ok(validateModelDir(dir).errors.some((e) => e.includes(where)), validateModelDir(dir).errors.join("\n"));
        });
    }

    for (const row of BAD_OUTS) {
        const run = row.root && !IS_ROOT ? it.skip : it;
        run(`npm run package refuses --out ${row.what} and leaves it as it was`, async () => {
            const { base, dir } = makeModelDir();
            const out = row.out(dir, base);
            const before = fs.lstatSync(out, { throwIfNoEntry: false });
            const listing = fs.readdirSync(dir).sort();
            const r = await pack(["--model-dir", dir, "--out", out]);
            assert.strictEqual(r.code, 1, r.out.join("\n"));
            assert.ok(r.err.some((l) => l.startsWith("error: ") && l.includes(out)), r.err.join("\n"));
            const after = fs.lstatSync(out, { throwIfNoEntry: false });
            assert.strictEqual(after?.mode, before?.mode, "the output path's kind changed");
            assert.strictEqual(after?.ino, before?.ino, "the output path was replaced");
            assert.deepStrictEqual(fs.readdirSync(dir).sort(), listing, "nothing written into the model directory");
            await assert.rejects(buildModelArchive(dir, out), (e: Error) => e.message.includes(out));
        });
    }
});
