/**
 * Endpoint replacement guard, autoscaled updates (live instance count through a DescribeEndpoint stand-in at the
 * client boundary) and the rollback alarms. Pulumi mocks; no AWS call.
 */
import { oneOfType, resetRecorded, resourcesOfType, settle, unwrap } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { guardProblems, GuardState, instanceCountFor, rollbackAlarmNames } from "../../../sagemaker/production/updateSafety";
import { LiveReader, readLiveEndpoint } from "../../../sagemaker/production/liveEndpoint";
import { LedgerInputs, ledgerProvider } from "../../../sagemaker/production/generationLedger";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { T } from "../../support/deploy";

const P = "gpu-multi-model-endpoint";
const prodGuard: GuardState = { project: P, endpointName: `${P}-prod`, rollbackAlarms: rollbackAlarmNames(`${P}-prod`).sort(),
    instanceType: "ml.g5.xlarge", autoscaled: true, acknowledgeReplacement: false };

describe("a change that would replace the endpoint is refused unless acknowledged", () => {
    it("lets the first deployment and an ordinary update through", () => {
        assert.deepStrictEqual(guardProblems(undefined, prodGuard), []);
        assert.deepStrictEqual(guardProblems({}, prodGuard), []);
        assert.deepStrictEqual(guardProblems(prodGuard, prodGuard), []);
    });

    it("refuses a new endpoint name (or stack name behind the default), naming the acknowledgement key and the migration", () => {
        const [p, ...rest] = guardProblems(prodGuard, { ...prodGuard, endpointName: "renamed" });
        assert.deepStrictEqual(rest, []);
        assert.ok(p.startsWith(`${P}:acknowledgeEndpointReplacement: this update replaces the endpoint because the endpoint name changes from ${P}-prod to renamed ` +
            `(${P}:endpointName, or the stack name behind its default); the AWS provider deletes the endpoint first`), p);
        assert.match(p, /docs\/updates\.md: a second endpoint beside the old one, switch clients, then remove the old\), or accept the downtime with pulumi config set gpu-multi-model-endpoint:acknowledgeEndpointReplacement true\.$/);
    });

    it("refuses turning auto-rollback off (or on), and lets both through once acknowledged", () => {
        const off = { ...prodGuard, rollbackAlarms: [] };
        assert.match(guardProblems(prodGuard, off)[0], /the auto-rollback alarms change from \[.*\] to \[\] \(gpu-multi-model-endpoint:deploymentAutoRollback\)/);
        assert.match(guardProblems(off, prodGuard)[0], /auto-rollback alarms change from \[\] to/);
        assert.deepStrictEqual(guardProblems(prodGuard, { ...off, endpointName: "renamed", acknowledgeReplacement: true }), []);
    });

    it("refuses an instance-type change on an autoscaled variant with the three-step procedure, acknowledged or not", () => {
        const problems = guardProblems(prodGuard, { ...prodGuard, instanceType: "ml.g6.xlarge", acknowledgeReplacement: true });
        assert.deepStrictEqual(problems, [`${P}:instanceType: ml.g5.xlarge -> ml.g6.xlarge on a variant registered for autoscaling, which SageMaker rejects. ` +
            `Do it in three steps: 1. set ${P}:autoscaling false and pulumi up (deregisters the variant); 2. change ${P}:instanceType and pulumi up; ` +
            `3. set ${P}:autoscaling true and pulumi up.`]);
        assert.deepStrictEqual(guardProblems({ ...prodGuard, autoscaled: false }, { ...prodGuard, autoscaled: false, instanceType: "ml.g6.xlarge" }), []);
    });

    it("runs the guard in the generation ledger's check, which Pulumi calls with the previous inputs at every preview", async () => {
        const provider = ledgerProvider(() => { throw new Error("check must not call AWS"); });
        const news = { ...prodGuard, endpointName: "renamed", region: "us-west-2", keep: 3, generation: { model: "m", config: "c", deleteArtifact: false } };
        const r = await provider.check!({ ...prodGuard, region: "us-west-2", keep: 3, generation: news.generation }, news);
        assert.strictEqual(r.failures!.length, 1);
        assert.match(r.failures![0].reason, /acknowledgeEndpointReplacement: this update replaces the endpoint/);
        assert.deepStrictEqual((await provider.check!({}, news)).failures, []);
    });
});

describe("the replacement guard on two runs of the program (previous and new ledger inputs under mocks)", function () {
    this.timeout(60000);

    /** The ledger inputs the program declares for `stack` with `overrides`. */
    async function ledgerInputs(stack: string, overrides: Record<string, string>) {
        resetRecorded();
        const { base } = makeModelDir();
        const ep = new GpuModelEndpoint("ep", { settings: stackSettings(stack, "model", overrides), baseDir: base, buildDir: path.join(base, "build") });
        await unwrap(ep.endpointConfigName);
        await settle();
        return oneOfType(T.ledger).inputs as LedgerInputs;
    }
    const failures = async (before: LedgerInputs, after: LedgerInputs) =>
        ((await ledgerProvider(() => { throw new Error("no AWS in check"); }).check!(before, after)).failures ?? []).map((f) => f.reason);

    it("refuses a new endpointName until acknowledgeEndpointReplacement is true", async () => {
        const before = await ledgerInputs("dev", {});
        const renamed = await ledgerInputs("dev", { endpointName: "renamed-endpoint" });
        const [reason] = await failures(before, renamed);
        assert.match(reason, /^gpu-multi-model-endpoint:acknowledgeEndpointReplacement: this update replaces the endpoint because the endpoint name changes from gpu-multi-model-endpoint-dev to renamed-endpoint/);
        assert.deepStrictEqual(await failures(before, await ledgerInputs("dev", { endpointName: "renamed-endpoint", acknowledgeEndpointReplacement: "true" })), []);
        assert.deepStrictEqual(await failures(before, await ledgerInputs("dev", {})), [], "an ordinary rerun passes");
    });

    it("refuses turning prod's auto-rollback off, and an instance-type change of its autoscaled variant", async () => {
        const before = await ledgerInputs("prod", {});
        assert.match((await failures(before, await ledgerInputs("prod", { deploymentAutoRollback: "false" })))[0], /auto-rollback alarms change from .* to \[\]/);
        const [typeChange] = await failures(before, await ledgerInputs("prod", { instanceType: "ml.g6.xlarge" }));
        assert.match(typeChange, /^gpu-multi-model-endpoint:instanceType: ml\.g5\.xlarge -> ml\.g6\.xlarge on a variant registered for autoscaling/);
    });
});

describe("autoscaled variants keep the live instance count on updates", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("decides: no autoscaling -> initialInstanceCount; live count clamped to [min, max] otherwise", () => {
        const a = { initialInstanceCount: 2, autoscaling: { minInstances: 2, maxInstances: 4 } };
        assert.strictEqual(instanceCountFor({ initialInstanceCount: 2 }, { currentInstanceCount: 3 }, "").count, 2);
        assert.strictEqual(instanceCountFor(a, { currentInstanceCount: 3 }, "").count, 3);
        assert.strictEqual(instanceCountFor(a, { currentInstanceCount: 9 }, "").count, 4);
        assert.strictEqual(instanceCountFor(a, { currentInstanceCount: 1 }, "").count, 2);
        assert.deepStrictEqual(instanceCountFor(a, undefined, "endpoint x does not exist yet"),
            { count: 2, message: "instance count 2 (initialInstanceCount): endpoint x does not exist yet" });
        const g = { image: "i", modelData: "s3://b/k", environment: { A: "1" }, instanceType: "ml.g5.xlarge", startupTimeout: 900, downloadTimeout: 600 };
        assert.strictEqual(instanceCountFor(a, { currentInstanceCount: 4 }, "", { ...g, initialInstanceCount: 2 }, g).count, 2, "same generation: unchanged");
        for (const change of [{ image: "j" }, { modelData: "s3://b/k2" }, { environment: { A: "2" } }, { instanceType: "ml.g6.xlarge" }, { startupTimeout: 600 }]) {
            assert.strictEqual(instanceCountFor(a, { currentInstanceCount: 4 }, "", { ...g, initialInstanceCount: 2 }, { ...g, ...change }).count, 4, JSON.stringify(change));
        }
    });

    async function deployProd(reader?: LiveReader) {
        const { base } = makeModelDir();
        const logged: string[] = [];
        const { info, warn } = pulumi.log;
        (pulumi.log as { info: typeof info }).info = (m: string) => { logged.push(m); return Promise.resolve(); };
        (pulumi.log as { warn: typeof warn }).warn = (m: string) => { logged.push(`warning: ${m}`); return Promise.resolve(); };
        try {
            const ep = new GpuModelEndpoint("ep", { settings: stackSettings("prod", "model"), baseDir: base, buildDir: path.join(base, "build"), liveReader: reader });
            await unwrap(ep.endpointConfigName);
            await settle();
        } finally {
            Object.assign(pulumi.log, { info, warn });
        }
        return logged;
    }

    /** Stand-in for the SageMaker client: the live endpoint runs `serving` (model + configuration) with `current` instances. */
    function fakeReader(current: number, serving: { image: string; modelDataUrl: string; environment: Record<string, string>; variant: Record<string, unknown> }) {
        const asked: string[] = [];
        const reader: LiveReader = {
            describeEndpoint: async (n) => { asked.push(`DescribeEndpoint ${n}`); return { EndpointStatus: "InService", EndpointConfigName: "serving-config",
                ProductionVariants: [{ VariantName: "AllTraffic", CurrentInstanceCount: current }] }; },
            describeEndpointConfig: async (n) => { asked.push(`DescribeEndpointConfig ${n}`); return { ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "serving-model", ...serving.variant }] }; },
            describeModel: async (n) => { asked.push(`DescribeModel ${n}`); return { PrimaryContainer: { Image: serving.image, ModelDataUrl: serving.modelDataUrl, Environment: serving.environment } }; },
        };
        return { reader, asked };
    }

    /** What the prod program declares for this model directory (read from a run under mocks). */
    async function declaredGeneration() {
        resetRecorded();
        await deployProd();
        const c = oneOfType(T.model).inputs.primaryContainer;
        const v = oneOfType(T.config).inputs.productionVariants[0];
        resetRecorded();
        return { image: c.image, modelDataUrl: c.modelDataUrl, environment: c.environment, variant: { InstanceType: v.instanceType, InitialInstanceCount: 2,
            ContainerStartupHealthCheckTimeoutInSeconds: v.containerStartupHealthCheckTimeoutInSeconds, ModelDataDownloadTimeoutInSeconds: v.modelDataDownloadTimeoutInSeconds } };
    }

    it("reads the live endpoint at preview and puts its current count into a new generation, saying so in the plan", async () => {
        const declared = await declaredGeneration();
        const { reader, asked } = fakeReader(3, { ...declared, modelDataUrl: "s3://bucket/prod/models/0123456789abcdef/model.tar.gz" });
        const logged = await deployProd(reader);
        assert.deepStrictEqual(asked, [`DescribeEndpoint ${P}-prod`, "DescribeEndpointConfig serving-config", "DescribeModel serving-model"]);
        assert.strictEqual(oneOfType(T.config).inputs.productionVariants[0].initialInstanceCount, 3);
        assert.ok(logged.includes("update plan: instance count 3: kept from the live endpoint's current 3 instance(s) (DescribeEndpoint at preview), " +
            `not reset to initialInstanceCount 2 (endpoint ${P}-prod is InService with 3 instance(s) in AllTraffic).`), logged.join("\n"));
        assert.ok(logged.some((m) => m.startsWith("endpoint update worst case 3000 s")), "the time budget is shown");
    });

    it("keeps the serving configuration's own count when nothing else changes, so autoscaling alone causes no new deployment", async () => {
        const declared = await declaredGeneration();
        const logged = await deployProd(fakeReader(4, declared).reader);
        assert.strictEqual(oneOfType(T.config).inputs.productionVariants[0].initialInstanceCount, 2);
        assert.ok(logged.some((m) => m.startsWith("update plan: instance count 2: the serving configuration already runs this model and configuration, " +
            "so its count is kept and nothing is redeployed; autoscaling manages the live 4 instance(s)")), logged.join("\n"));
    });

    it("goes on with initialInstanceCount when AWS is unreachable (no credentials), saying so", async () => {
        const fail = async (): Promise<never> => { throw Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }); };
        const logged = await deployProd({ describeEndpoint: fail, describeEndpointConfig: fail, describeModel: fail });
        assert.strictEqual(oneOfType(T.config).inputs.productionVariants[0].initialInstanceCount, 2);
        assert.ok(logged.some((m) => m === "warning: update plan: instance count 2 (initialInstanceCount): the live endpoint could not be read " +
            "(CredentialsProviderError: Could not load credentials from any providers), e.g. no AWS credentials; the preview goes on without it. " +
            "If the endpoint exists, this update resets its autoscaled variant to that count."), logged.join("\n"));
    });

    it("makes no AWS call under Pulumi mocks unless a reader is injected", async () => {
        const logged = await deployProd();
        assert.strictEqual(resourcesOfType(T.config).length, 1);
        assert.ok(logged.includes("update plan: instance count 2 (initialInstanceCount): the live endpoint was not read (Pulumi mocks: no AWS call)."), logged.join("\n"));
    });

    it("treats a missing endpoint as a first deployment", async () => {
        const missing = async (): Promise<never> => { throw Object.assign(new Error("Could not find endpoint \"x\"."), { name: "ValidationException" }); };
        const r = await readLiveEndpoint({ describeEndpoint: missing, describeEndpointConfig: missing, describeModel: missing }, "x", "AllTraffic");
        assert.deepStrictEqual(r, { note: "endpoint x does not exist yet (DescribeEndpoint)" });
    });

    it("rolls back only on the 5xx and latency alarms: GPU memory also measures the old fleet during an update", async () => {
        await deployProd();
        const alarms = oneOfType(T.endpoint).inputs.deploymentConfig.autoRollbackConfiguration.alarms.map((a: { alarmName: string }) => a.alarmName);
        assert.deepStrictEqual(alarms, [`${P}-prod-invocation-5xx-errors`, `${P}-prod-model-latency-p99`]);
        assert.strictEqual(resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm").length, 3, "the GPU memory alarm still exists, for notifications");
    });
});
