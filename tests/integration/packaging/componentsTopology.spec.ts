import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { allResources, optionsOf, resetRecorded, resourcesOfType, oneOfType } from "../../support/pulumiMocks";
import { stackSettings } from "../../support/endpointFixture";
import { deployComponents, IC, makeTwoModelDir, T } from "../../support/componentsFixture";

const COMPONENTS = { topology: "components" };
const byName = (type: string) => Object.fromEntries(resourcesOfType(type).map((r) => [r.name, r.inputs]));

describe("topology components: one inference component per model under mocks", function () {
    this.timeout(120000);
    beforeEach(() => resetRecorded());

    it("declares one archive object, Model and InferenceComponent per model on a model-less, managed-scaling variant (dev stack)", async () => {
        const { base } = makeTwoModelDir();
        const out = await deployComponents(stackSettings("dev", "model", COMPONENTS), base);
        assert.strictEqual(resourcesOfType(T.object).length, 2);
        assert.strictEqual(resourcesOfType(T.model).length, 2);
        assert.strictEqual(resourcesOfType(IC).length, 2);
        assert.deepStrictEqual(out.components, { fashion: "gpu-multi-model-endpoint-dev-fashion", sentiment: "gpu-multi-model-endpoint-dev-sentiment" });
        const config = oneOfType(T.config).inputs;
        assert.strictEqual(config.productionVariants.length, 1);
        const v = config.productionVariants[0];
        assert.strictEqual(v.modelName, undefined, "no model on the variant");
        assert.deepStrictEqual(v.managedInstanceScaling, { status: "ENABLED", minInstanceCount: 1, maxInstanceCount: 1 });
        assert.deepStrictEqual(v.routingConfigs, [{ routingStrategy: "LEAST_OUTSTANDING_REQUESTS" }]);
        assert.deepStrictEqual([v.instanceType, v.initialInstanceCount], ["ml.g4dn.xlarge", 1]);
        assert.match(config.executionRoleArn, /^arn:aws:iam::123456789012:role\//);
        const models = byName(T.model);
        const ics = byName(IC);
        const fashion = ics["ep-fashion-component"];
        assert.deepStrictEqual([fashion.endpointName, fashion.variantName, fashion.inferenceComponentName],
            [out.endpointName, "AllTraffic", "gpu-multi-model-endpoint-dev-fashion"]);
        assert.strictEqual(fashion.specification.modelName, "ep-fashion-model-a1b2c3d");
        assert.deepStrictEqual(fashion.specification.computeResourceRequirements, { minMemoryRequiredInMb: 32, numberOfAcceleratorDevicesRequired: 1 });
        assert.deepStrictEqual(ics["ep-sentiment-component"].specification.computeResourceRequirements, { minMemoryRequiredInMb: 12 }, "sklearn: no GPU by default");
        assert.deepStrictEqual(fashion.specification.startupParameters, { containerStartupHealthCheckTimeoutInSeconds: 900, modelDataDownloadTimeoutInSeconds: 600 });
        assert.deepStrictEqual(fashion.runtimeConfig, { copyCount: 1 });
        const objects = byName(T.object);
        assert.strictEqual(models["ep-fashion-model"].primaryContainer.modelDataUrl, `s3://${objects["ep-fashion-archive"].bucket}/${objects["ep-fashion-archive"].key}`);
        assert.strictEqual(models["ep-fashion-model"].primaryContainer.environment.SAGEMAKER_PROGRAM, "inference.py");
        assert.notStrictEqual(objects["ep-fashion-archive"].key, objects["ep-sentiment-archive"].key);
        assert.strictEqual(out.modelDataUrl, "s3://ep-artifacts-0a1b2c3/models/");
        assert.match(out.artifactSha256, /^[0-9a-f]{64}$/);
    });

    it("scales each model's copies on inference-component/<name> by invocations per copy, with no scale-from-zero alarm at minimum 1", async () => {
        const { base } = makeTwoModelDir();
        await deployComponents(stackSettings("dev", "model", { ...COMPONENTS, componentsMaxInstanceCount: "2", componentMaxCopies: "2",
            componentTargetInvocationsPerCopy: "40" }), base);
        const targets = resourcesOfType(T.target).map((t) => t.inputs);
        assert.deepStrictEqual(targets.map((t) => t.resourceId).sort(),
            ["inference-component/gpu-multi-model-endpoint-dev-fashion", "inference-component/gpu-multi-model-endpoint-dev-sentiment"]);
        for (const t of targets) {
            assert.deepStrictEqual([t.serviceNamespace, t.scalableDimension, t.minCapacity, t.maxCapacity],
                ["sagemaker", "sagemaker:inference-component:DesiredCopyCount", 1, 2]);
        }
        const policies = resourcesOfType(T.policy).map((p) => p.inputs);
        assert.strictEqual(policies.length, 2);
        for (const p of policies) {
            assert.strictEqual(p.policyType, "TargetTrackingScaling");
            assert.deepStrictEqual(p.targetTrackingScalingPolicyConfiguration,
                { targetValue: 40, predefinedMetricSpecification: { predefinedMetricType: "SageMakerInferenceComponentInvocationsPerCopy" }, scaleInCooldown: 300, scaleOutCooldown: 60 });
        }
        assert.deepStrictEqual(resourcesOfType(T.alarm), []);
    });

    it("adds the scale-out-from-zero step policy and NoCapacityInvocationFailures alarm only for a model whose minimum is 0 copies", async () => {
        const { base } = makeTwoModelDir();
        await deployComponents(stackSettings("dev", "model", { ...COMPONENTS, componentsMinInstanceCount: "0",
            componentCopies: JSON.stringify({ sentiment: { min: 0 } }) }), base);
        assert.strictEqual(oneOfType(T.config).inputs.productionVariants[0].managedInstanceScaling.minInstanceCount, 0);
        const targets = byName(T.target);
        assert.deepStrictEqual([targets["ep-sentiment-scaling-target"].minCapacity, targets["ep-fashion-scaling-target"].minCapacity], [0, 1]);
        const step = byName(T.policy)["ep-sentiment-scaling-from-zero"];
        assert.deepStrictEqual([step.policyType, step.resourceId], ["StepScaling", "inference-component/gpu-multi-model-endpoint-dev-sentiment"]);
        assert.deepStrictEqual(step.stepScalingPolicyConfiguration, { adjustmentType: "ChangeInCapacity", metricAggregationType: "Maximum", cooldown: 60,
            stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }] });
        const alarm = oneOfType(T.alarm);
        assert.strictEqual(alarm.name, "ep-sentiment-scaling-no-capacity");
        assert.deepStrictEqual([alarm.inputs.namespace, alarm.inputs.metricName, alarm.inputs.dimensions, alarm.inputs.comparisonOperator, alarm.inputs.threshold],
            ["AWS/SageMaker", "NoCapacityInvocationFailures", { InferenceComponentName: "gpu-multi-model-endpoint-dev-sentiment" }, "GreaterThanOrEqualToThreshold", 1]);
        assert.deepStrictEqual(alarm.inputs.alarmActions,
            ["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:mock:resource/inference-component/gpu-multi-model-endpoint-dev-sentiment:policyName/ep-sentiment-scaling-from-zero"]);
        assert.strictEqual(resourcesOfType(T.policy).filter((p) => p.inputs.policyType === "StepScaling").length, 1);
    });

    it("packs each archive with only its model, the same code/ and shared files, and a models.json listing that model", async () => {
        const { base } = makeTwoModelDir();
        await deployComponents(stackSettings("dev", "model", COMPONENTS), base);
        for (const [model, other] of [["fashion", "sentiment"], ["sentiment", "fashion"]]) {
            const file = await byName(T.object)[`ep-${model}-archive`].source.path as string;
            const abs = path.resolve(file);
            const listed = execFileSync("tar", ["-tzf", abs], { encoding: "utf8" }).trim().split("\n").filter((l) => !l.endsWith("/")).sort();
            const modelFile = model === "fashion" ? "fashion/model.pt" : "sentiment/model.joblib";
            assert.deepStrictEqual(listed, ["code/inference.py", "code/requirements.txt", modelFile, "models.json", "shared/vocab.txt"].sort(), model);
            const manifest = JSON.parse(execFileSync("tar", ["-xzOf", abs, "models.json"], { encoding: "utf8" }));
            assert.deepStrictEqual(manifest.models.map((m: { name: string }) => m.name), [model]);
            assert.ok(!listed.some((l) => l.startsWith(`${other}/`)));
        }
    });

    it("lets the execution role read every per-model archive (under the artifact prefix only) and write each component's log group", async () => {
        const { base } = makeTwoModelDir();
        await deployComponents(stackSettings("dev", "model", COMPONENTS), base);
        const statements = JSON.parse(oneOfType(T.rolePolicy).inputs.policy).Statement as { Sid: string; Resource: string | string[] }[];
        const read = statements.find((s) => s.Sid === "ReadModelArtifacts")!.Resource as string;
        for (const o of resourcesOfType(T.object)) {
            const arn = `arn:aws:s3:::${o.inputs.bucket}/${o.inputs.key}`;
            assert.ok(new RegExp(`^${read.replace(/[.]/g, "\\.").replace("*", ".+")}$`).test(arn), `${arn} not covered by ${read}`);
        }
        assert.strictEqual(read, "arn:aws:s3:::ep-artifacts-0a1b2c3/models/*");
        const logs = statements.find((s) => s.Sid === "WriteEndpointLogs")!.Resource as string[];
        assert.ok(logs.includes("arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/InferenceComponents/gpu-multi-model-endpoint-dev-fashion"));
        assert.ok(logs.includes("arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/InferenceComponents/gpu-multi-model-endpoint-dev-sentiment:log-stream:*"));
    });

    it("changes only the changed model's archive, Model and component; the other model and the endpoint keep identical inputs", async () => {
        const { base, dir } = makeTwoModelDir();
        const settings = stackSettings("dev", "model", COMPONENTS);
        await deployComponents(settings, base);
        const before = new Map(allResources().map((r) => [r.name, JSON.stringify(r.inputs)]));
        resetRecorded();
        fs.writeFileSync(path.join(dir, "sentiment", "model.joblib"), "sentiment v2\n");
        await deployComponents(settings, base);
        const after = new Map(allResources().map((r) => [r.name, JSON.stringify(r.inputs)]));
        assert.deepStrictEqual([...after.keys()].sort(), [...before.keys()].sort(), "same resources");
        const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
        assert.deepStrictEqual(changed, ["ep-sentiment-archive", "ep-sentiment-model"]);
        // The component's inputs name its Model by the (auto-named) Model's name: under the mocks that name is stable, on AWS the
        // new Model's name differs, so the component is updated; the endpoint, its configuration and the fashion resources are not.
        for (const n of ["ep-endpoint", "ep-endpoint-config", "ep-fashion-archive", "ep-fashion-model", "ep-fashion-component"]) assert.ok(!changed.includes(n), n);
    });

    it("keeps the prod stack's protection, retained revisions, alarms and data capture with components (variant autoscaling off)", async () => {
        const { base } = makeTwoModelDir();
        await deployComponents(stackSettings("prod", "model", { ...COMPONENTS, autoscaling: "false", componentsMaxInstanceCount: "4", componentMaxCopies: "4" }), base);
        assert.strictEqual(resourcesOfType(IC).length, 2);
        const v = oneOfType(T.config).inputs.productionVariants[0];
        assert.deepStrictEqual([v.instanceType, v.initialInstanceCount, v.managedInstanceScaling.maxInstanceCount, v.modelName], ["ml.g5.xlarge", 2, 4, undefined]);
        assert.ok(oneOfType(T.config).inputs.dataCaptureConfig);
        assert.strictEqual(optionsOf("ep-endpoint")?.protect, true);
        for (const n of ["ep-fashion-model", "ep-sentiment-model", "ep-fashion-archive"]) assert.strictEqual(optionsOf(n)?.retainOnDelete, true, n);
        assert.strictEqual(resourcesOfType(T.alarm).length, 3, "the endpoint's three alarms");
        assert.deepStrictEqual(resourcesOfType(T.target).map((t) => t.inputs.resourceId).sort(),
            ["inference-component/gpu-multi-model-endpoint-prod-fashion", "inference-component/gpu-multi-model-endpoint-prod-sentiment"]);
        assert.ok(byName(IC)["ep-fashion-component"].endpointName === "gpu-multi-model-endpoint-prod");
    });

    it("leaves the router stacks as they were: one archive, one Model with the variant, no inference component or component output", async () => {
        for (const stack of ["dev", "prod"]) {
            resetRecorded();
            const { base } = makeTwoModelDir();
            const out = await deployComponents(stackSettings(stack, "model"), base);
            assert.deepStrictEqual(out.components, {});
            assert.strictEqual(resourcesOfType(IC).length, 0);
            assert.strictEqual(resourcesOfType(T.object).length, 1);
            const v = oneOfType(T.config).inputs.productionVariants[0];
            assert.strictEqual(v.modelName, oneOfType(T.model).inputs.name ?? "ep-model-a1b2c3d");
            assert.strictEqual(v.managedInstanceScaling, undefined);
            assert.strictEqual(oneOfType(T.config).inputs.executionRoleArn, undefined);
        }
    });
});
