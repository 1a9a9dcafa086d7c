/**
 * Bad input (stack config): every row of tests/fixtures/badConfigs.ts goes through what
 * index.ts does (requireSettings, as loadSettings, then new GpuModelEndpoint) under Pulumi mocks.
 * Each must stop with exactly one problem naming its key (or the model-directory path), and with
 * no resource registered, the component included.
 */
import { allResources, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { requireSettings } from "../../../config/config";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { BAD_CONFIGS } from "../../fixtures/badConfigs";
import { makeModelDir, otherDeclaredKeys, stackFile } from "../../support/endpointFixture";

/** Runs one row the way `pulumi up` would; returns the error it stopped with. */
function declare(row: (typeof BAD_CONFIGS)[number], base: string): Error {
    const { raw: dev, region: devRegion } = stackFile("dev");
    const region = row.region === null ? undefined : row.region ?? devRegion;
    try {
        const { settings } = requireSettings({ ...dev, modelDir: "model", ...row.raw },
            { project: "gpu-multi-model-endpoint", stack: "dev", region, otherKeys: otherDeclaredKeys() });
        new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") });
    } catch (e) {
        return e as Error;
    }
    throw new assert.AssertionError({ message: `${row.what}: the endpoint was declared, expected an error` });
}

describe("bad stack configurations stop before any resource is declared", function () {
    this.timeout(30000);
    beforeEach(() => resetRecorded());

    it("covers at least 30 bad configurations, each described once", () => {
        assert.ok(BAD_CONFIGS.length >= 30, `${BAD_CONFIGS.length} rows`);
        assert.strictEqual(new Set(BAD_CONFIGS.map((r) => r.what)).size, BAD_CONFIGS.length);
    });

    for (const row of BAD_CONFIGS) {
        const names = row.dir ? "its path" : row.key;
        it(`refuses ${row.what}, naming ${names}, with nothing registered`, async () => {
            const { base, dir } = makeModelDir();
            try {
                const where = row.dir?.(dir);
                const e = declare(row, base);
                assert.ok(pulumi.RunError.isInstance(e), `not a RunError: ${e.stack}`);
                const lines = e.message.split("\n");
                if (where === undefined) {
                    assert.strictEqual(lines[0], `Stack "dev" has 1 config problem(s):`, e.message);
                    assert.ok(lines[1].startsWith(`  - ${row.key}`), `expected the problem to name ${row.key}:\n${e.message}`);
                    assert.match(lines[1], /\b(set|run|use|remove|unset)\b/i, "the message must say what to do");
                } else {
                    assert.match(lines[0], /^Model directory .* has \d+ problem\(s\):$/, e.message);
                    assert.ok(lines.slice(1).some((l) => l.startsWith("  - ") && l.includes(where)), `expected a problem naming ${where}:\n${e.message}`);
                }
                await settle();
                assert.deepStrictEqual(allResources(), []);
            } finally {
                fs.rmSync(base, { recursive: true, force: true });
            }
        });
    }
});
