/**
 * Rollback safety under Pulumi mocks: the program is run once per deployment with a changed model, and the
 * recorded GenerationLedger inputs are fed to the ledger's provider the way the engine does (check, diff, create /
 * update, delete) against an in-memory stand-in for SageMaker and S3 (no AWS here). The mocks give every Model and
 * EndpointConfiguration the same name, so the test names each generation itself (the provider's auto-naming).
 */
import { oneOfType, optionsOf, recordOptions, resetRecorded, settle, unwrap } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { addGeneration, deletions, generationsToDelete, Generation, GenerationLedger, LedgerClients, LedgerInputs, LedgerState, ledgerProvider } from "../../../sagemaker/production/generationLedger";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { T } from "../../support/deploy";

/** Stand-in for the SageMaker and S3 state the ledger acts on. */
class FakeAws implements LedgerClients {
    configs = new Set<string>(); models = new Set<string>(); objects = new Set<string>();
    serving?: string; pending?: string; calls: string[] = [];
    async describeEndpoint() { this.calls.push("DescribeEndpoint"); return this.serving ? { EndpointConfigName: this.serving, PendingDeploymentSummary: this.pending ? { EndpointConfigName: this.pending } : undefined } : undefined; }
    async deleteEndpointConfig(n: string) { this.calls.push(`DeleteEndpointConfig ${n}`); this.configs.delete(n); }
    async deleteModel(n: string) { this.calls.push(`DeleteModel ${n}`); this.models.delete(n); }
    async deleteArtifact(u: string) { this.calls.push(`DeleteArtifact ${u}`); this.objects.delete(u); }
    create(g: Generation) { this.configs.add(g.config); this.models.add(g.model); if (g.artifact) this.objects.add(g.artifact); }
}

describe("rollback safety: update -> rollback -> next update keeps what the endpoint runs, destroy removes everything", function () {
    this.timeout(120000);

    /** Runs the program for `stack` with the model file content `weights`; returns the ledger inputs as generation `tag`. */
    async function run(stack: string, dir: { base: string; dir: string }, weights: string, tag: string): Promise<LedgerInputs> {
        resetRecorded();
        fs.writeFileSync(path.join(dir.dir, "tiny", "model.bin"), weights);
        const ep = new GpuModelEndpoint("ep", { settings: stackSettings(stack, "model"), baseDir: dir.base, buildDir: path.join(dir.base, "build") }, { transformations: [recordOptions] });
        await unwrap(ep.endpointConfigName);
        await settle();
        for (const n of ["ep-model", "ep-endpoint-config", "ep-model-archive"]) assert.strictEqual(optionsOf(n)?.retainOnDelete, true, `${n}: an update never deletes it`);
        assert.ok(optionsOf("ep-endpoint")!.dependsOn.includes("ep-generations"), "the endpoint is updated after the ledger and deleted before it");
        const inputs = oneOfType(T.ledger).inputs as LedgerInputs;
        const provider = String((inputs as unknown as { __provider: string }).__provider);
        assert.ok(provider.includes("guardProblems") && provider.includes("DeleteEndpointConfigCommand"), "the provider serializes with its guard and SDK calls");
        assert.match(inputs.generation.artifact!, /^s3:\/\/.+\/models\/[0-9a-f]{16}\/model\.tar\.gz$|^s3:\/\/.+\/prod\/models\/[0-9a-f]{16}\/model\.tar\.gz$/);
        return { ...inputs, generation: { ...inputs.generation, model: `model-${tag}`, config: `config-${tag}` } };
    }

    it("never deletes the configuration a rolled-back endpoint runs; prunes beyond the last 3 generations; destroy deletes them all (dev)", async () => {
        const dir = makeModelDir();
        const aws = new FakeAws();
        const provider = ledgerProvider(() => aws);
        const engineUpdate = async (state: LedgerState, news: LedgerInputs): Promise<LedgerState> => {
            assert.deepStrictEqual((await provider.check!(state, news)).failures, []);
            assert.strictEqual((await provider.diff!("id", state, news)).changes, true);
            aws.create(news.generation);
            return (await provider.update!("id", state, news)).outs as LedgerState;
        };

        const a = await run("dev", dir, "weights A", "A");
        aws.create(a.generation);
        let state = (await provider.create!(a)).outs as LedgerState;
        aws.serving = "config-A";

        const b = await run("dev", dir, "weights B", "B");
        assert.notStrictEqual(b.generation.artifact, a.generation.artifact, "a new archive");
        state = await engineUpdate(state, b);
        aws.serving = "config-A"; // SageMaker rolled B back; the provider reported success
        assert.deepStrictEqual([...aws.configs].sort(), ["config-A", "config-B"]);
        assert.ok(aws.models.has("model-A") && aws.objects.has(a.generation.artifact!), "A's model and archive are still there");

        const c = await run("dev", dir, "weights C", "C");
        state = await engineUpdate(state, c);
        aws.serving = "config-C";
        assert.deepStrictEqual(state.history.map((g) => g.config), ["config-C", "config-B", "config-A"]);
        assert.ok(!aws.calls.some((x) => x.startsWith("Delete")), "nothing deleted while 3 generations are kept");

        const d = await run("dev", dir, "weights D", "D");
        state = await engineUpdate(state, d);
        assert.deepStrictEqual(aws.calls.filter((x) => x.startsWith("Delete")), ["DeleteEndpointConfig config-A", "DeleteModel model-A", `DeleteArtifact ${a.generation.artifact}`]);
        assert.deepStrictEqual(state.history.map((g) => g.config), ["config-D", "config-C", "config-B"]);

        aws.calls = [];
        await provider.delete!("id", state);
        assert.deepStrictEqual([aws.configs.size, aws.models.size, aws.objects.size], [0, 0, 0], "destroy leaves nothing the stack created");
    });

    it("keeps an old generation the endpoint still serves after several rolled-back updates, and keeps prod archives on destroy", async () => {
        const dir = makeModelDir();
        const aws = new FakeAws();
        const provider = ledgerProvider(() => aws);
        const gens: LedgerInputs[] = [];
        for (const tag of ["A", "B", "C", "D", "E"]) gens.push(await run("prod", dir, `weights ${tag}`, tag));
        assert.ok(gens.every((g) => g.generation.deleteArtifact === false), "prod: forceDestroyArtifacts false");
        aws.create(gens[0].generation);
        let state = (await provider.create!(gens[0])).outs as LedgerState;
        aws.serving = "config-A";
        for (const g of gens.slice(1)) { // every update rolls back to A
            aws.create(g.generation);
            state = (await provider.update!("id", state, g)).outs as LedgerState;
        }
        assert.ok(aws.configs.has("config-A") && aws.models.has("model-A"), "A is served, so it is never pruned");
        assert.deepStrictEqual(state.history.map((g) => g.config), ["config-E", "config-D", "config-C", "config-A"]);
        assert.ok(!aws.configs.has("config-B"), "B (not served, older than the last 3) was pruned");
        await provider.delete!("id", state);
        assert.deepStrictEqual([aws.configs.size, aws.models.size], [0, 0]);
        assert.strictEqual(aws.objects.size, 5, "prod archives are retained like the bucket (forceDestroyArtifacts false)");
    });

    it("never deletes a model or archive that a kept generation shares, and never fails an update because pruning failed", async () => {
        const g = (c: string, m: string, a: string): Generation => ({ model: m, config: c, artifact: a, deleteArtifact: true });
        // config-only change (same model), settings-only change (same archive)
        assert.deepStrictEqual(deletions([g("c1", "m1", "s3://b/k1")], [g("c2", "m1", "s3://b/k2"), g("c3", "m3", "s3://b/k1")]),
            { configs: ["c1"], models: [], artifacts: [] });
        assert.deepStrictEqual(deletions([g("c1", "m1", "s3://b/k1")], []), { configs: ["c1"], models: ["m1"], artifacts: ["s3://b/k1"] });
        const aws = new FakeAws();
        aws.deleteEndpointConfig = async () => { throw new Error("AccessDenied"); };
        const provider = ledgerProvider(() => aws);
        const base = { project: "p", endpointName: "ep", rollbackAlarms: [], instanceType: "ml.g5.xlarge", autoscaled: false, acknowledgeReplacement: false, region: "us-east-1", keep: 1 };
        const state: LedgerState = { ...base, generation: g("c1", "m1", "s3://b/k1"), history: [g("c1", "m1", "s3://b/k1")] };
        const out = (await provider.update!("id", state, { ...base, generation: g("c2", "m2", "s3://b/k2") })).outs as LedgerState;
        assert.deepStrictEqual(out.history.map((x) => x.config), ["c2", "c1"], "c1 stays remembered and is retried next time");
    });

    it("keeps the configuration an update is still moving to (pending deployment)", () => {
        const g = (t: string): Generation => ({ model: `m${t}`, config: `c${t}`, deleteArtifact: true });
        const history = ["E", "D", "C", "B", "A"].reduceRight((h, t) => addGeneration(h, g(t)), [] as Generation[]);
        assert.deepStrictEqual(history.map((x) => x.config), ["cE", "cD", "cC", "cB", "cA"]);
        assert.deepStrictEqual(generationsToDelete(history, 3, ["cE", "cB"]).map((x) => x.config), ["cA"]);
    });

    it("declares every ledger with one provider object, so Pulumi serializes the provider once however many endpoints the program has", async () => {
        const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: (...a: unknown[]) => unknown };
        const original = closure.serializeFunction;
        let serialized = 0;
        closure.serializeFunction = (...a: unknown[]) => { serialized += 1; return original(...a); };
        try {
            const args = { project: "p", endpointName: "ep", rollbackAlarms: [], instanceType: "ml.g5.xlarge", autoscaled: false,
                acknowledgeReplacement: false, region: "us-east-1", generation: { model: "m", config: "c", deleteArtifact: true } };
            const ledgers = ["a", "b", "c"].map((n) => new GenerationLedger(`ledger-${n}`, { ...args, endpointName: n }));
            await Promise.all(ledgers.map((l) => unwrap(l.history)));
            await settle();
        } finally {
            closure.serializeFunction = original;
        }
        assert.ok(serialized <= 1, `the provider was serialized ${serialized} times for 3 ledgers`);
    });
});
