import * as assert from "assert";
import { budgetInput, deploymentTimeBudget, PROVIDER_UPDATE_WAIT_SECONDS, trafficSteps } from "../../../sagemaker/production/deploymentTime";
import { parseSettings } from "../../../config/config";
import { otherDeclaredKeys, stackFile, stackSettings } from "../../support/endpointFixture";

const P = "gpu-multi-model-endpoint";
function parse(stack: string, overrides: Record<string, string>) {
    const { raw, region } = stackFile(stack);
    return parseSettings({ ...raw, modelDir: "model", ...overrides }, { project: P, stack, region, otherKeys: otherDeclaredKeys() });
}

describe("deployment time budget against the provider's 60-minute update wait", () => {
    it("passes prod's defaults: 600 s download + 900 s health check + 2 x 600 s canary baking + 300 s termination = 3000 s", () => {
        const b = deploymentTimeBudget(budgetInput(stackSettings("prod", "model")));
        assert.deepStrictEqual(b.terms.map((t) => t.seconds), [600, 900, 1200, 300]);
        assert.strictEqual(b.worstCaseSeconds, 3000);
        assert.strictEqual(b.limitSeconds, PROVIDER_UPDATE_WAIT_SECONDS);
        assert.strictEqual(b.error, undefined);
        assert.strictEqual(b.summary, "endpoint update worst case 3000 s (50 min) of the provider's 3600 s wait: model download 600 s + " +
            "container health check 900 s + 2 x 600 s baking (CANARY) 1200 s + termination wait 300 s; instance provisioning is not counted.");
        assert.deepStrictEqual(parse("prod", {}).errors, []);
    });

    it("counts only the download and the health check without a deployment config (dev: SageMaker's default blue/green)", () => {
        const b = deploymentTimeBudget(budgetInput(stackSettings("dev", "model")));
        assert.deepStrictEqual([b.worstCaseSeconds, b.error, b.terms.length], [1500, undefined, 2]);
    });

    it("is a config error naming the keys to lower when a canary with a 3600 s wait can exceed 60 minutes", () => {
        const r = parse("prod", { deploymentWaitIntervalSeconds: "3600", deploymentMaximumExecutionTimeoutSeconds: "9000" });
        assert.strictEqual(r.settings, undefined);
        const e = r.errors.find((x) => x.includes("AWS provider's fixed 3600 s wait"));
        assert.ok(e, r.errors.join("\n"));
        assert.strictEqual(e, `${P}:deploymentWaitIntervalSeconds and the other update timeouts: an endpoint update can take 9000 s ` +
            "(model download 600 s + container health check 900 s + 2 x 3600 s baking (CANARY) 7200 s + termination wait 300 s), 5400 s more than " +
            "the AWS provider's fixed 3600 s wait; pulumi up would fail while SageMaker is still updating. Lower " +
            `${P}:modelDataDownloadTimeoutInSeconds, ${P}:containerStartupHealthCheckTimeoutInSeconds, ${P}:deploymentWaitIntervalSeconds, ` +
            `${P}:deploymentTerminationWaitSeconds, ${P}:deploymentMaximumExecutionTimeoutSeconds so the total is at most 3600 s.`);
    });

    it("errors for long container timeouts alone, even without a deployment config", () => {
        const r = parse("dev", { containerStartupHealthCheckTimeoutInSeconds: "3600", modelDataDownloadTimeoutInSeconds: "600" });
        assert.ok(r.errors.some((x) => /can take 4200 s .*Lower gpu-multi-model-endpoint:modelDataDownloadTimeoutInSeconds, gpu-multi-model-endpoint:containerStartupHealthCheckTimeoutInSeconds so/.test(x)), r.errors.join("\n"));
    });

    it("counts one baking interval per LINEAR step and suggests a larger step", () => {
        assert.strictEqual(trafficSteps({ trafficRouting: "LINEAR", stepSizeType: "CAPACITY_PERCENT", linearStepSize: 10 }, 4), 10);
        assert.strictEqual(trafficSteps({ trafficRouting: "LINEAR", stepSizeType: "INSTANCE_COUNT", linearStepSize: 1 }, 4), 4);
        assert.strictEqual(trafficSteps({ trafficRouting: "ALL_AT_ONCE", stepSizeType: "INSTANCE_COUNT", linearStepSize: 1 }, 4), 1);
        const r = parse("prod", { deploymentTrafficRouting: "LINEAR", deploymentStepSizeType: "CAPACITY_PERCENT", deploymentLinearStepSize: "10",
            deploymentWaitIntervalSeconds: "600", deploymentMaximumExecutionTimeoutSeconds: "14400" });
        assert.ok(r.errors.some((x) => /10 x 600 s baking \(LINEAR\) 6000 s.*deploymentLinearStepSize \(raise it: fewer steps\)/.test(x)), r.errors.join("\n"));
    });

    it("caps the worst case at the deployment's maximum execution time, after which SageMaker stops the update", () => {
        const s = stackSettings("prod", "model");
        const b = deploymentTimeBudget({ ...budgetInput(s), deployment: { ...s.production.deployment!, waitIntervalSeconds: 3600, maximumExecutionTimeoutSeconds: 3000 } });
        assert.deepStrictEqual([b.worstCaseSeconds, b.error], [3000, undefined]);
        assert.match(b.summary, /\(capped by gpu-multi-model-endpoint:deploymentMaximumExecutionTimeoutSeconds 3000 s\)/);
    });
});
