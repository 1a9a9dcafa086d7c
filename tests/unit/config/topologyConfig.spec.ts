import * as assert from "assert";
import { parseSettings } from "../../../config/config";
import { parseTopologySettings } from "../../../config/topologyConfig";
import { componentName, componentsVariant } from "../../../sagemaker/components/modelComponent";
import { componentResourceId } from "../../../sagemaker/components/componentScaling";

const P = "gpu-multi-model-endpoint";
const ctx = { project: P, stack: "dev", region: "us-east-1" };

describe("topology config: router by default, components on request", () => {
    it("is router with no component settings for an empty config (today's stacks)", () => {
        assert.deepStrictEqual(parseTopologySettings({}, P), { topology: { topology: "router" }, errors: [] });
        assert.deepStrictEqual(parseSettings({}, ctx).settings!.topology, { topology: "router" });
    });

    it("parses the components keys and per-model copies, including strings from pulumi config set --path", () => {
        const r = parseTopologySettings({ topology: "components", componentsMinInstanceCount: "0", componentsMaxInstanceCount: "3",
            componentMinCopies: "0", componentMaxCopies: "4", componentInitialCopies: "2", componentTargetInvocationsPerCopy: "50",
            componentCopies: '{"fashion":{"min":"1","initial":1}}' }, P);
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual(r.topology.components, { minInstances: 0, maxInstances: 3, copies: { min: 0, max: 4, initial: 2 },
            perModel: { fashion: { min: 1, initial: 1 } }, targetInvocationsPerCopy: 50, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60 });
    });

    const errors: [string, Record<string, string>, RegExp][] = [
        ["an unknown topology", { topology: "mesh" }, /topology: "mesh" is not a topology; set it to router .* or components/],
        ["a negative minimum of instances", { topology: "components", componentsMinInstanceCount: "-1" }, /componentsMinInstanceCount: "-1" is not a whole number of instances from 0 to 1000/],
        ["zero maximum instances", { topology: "components", componentsMaxInstanceCount: "0" }, /componentsMaxInstanceCount: "0" is not a whole number of instances from 1 to 1000/],
        ["min instances above max", { topology: "components", componentsMinInstanceCount: "3", componentsMaxInstanceCount: "2" }, /componentsMinInstanceCount \(3\) is above .*componentsMaxInstanceCount \(2\)/],
        ["zero initial copies", { topology: "components", componentInitialCopies: "0" }, /componentInitialCopies: "0" is not a whole number of copies from 1 to 1000/],
        ["componentCopies that is not a map", { topology: "components", componentCopies: "[1]" }, /componentCopies: "\[1\]" is not a map of model name/],
        ["an unknown per-model field", { topology: "components", componentCopies: '{"a":{"minimum":0}}' }, /componentCopies\.a\.minimum: unknown field; use min, max or initial/],
        ["a fractional per-model count", { topology: "components", componentCopies: '{"a":{"max":1.5}}' }, /componentCopies\.a\.max: 1\.5 is not a whole number of copies from 1 to 1000/],
        ["component keys on a router stack", { componentMaxCopies: "3", componentsMaxInstanceCount: "2" },
            /componentsMaxInstanceCount, gpu-multi-model-endpoint:componentMaxCopies apply only to gpu-multi-model-endpoint:topology components/],
    ];
    for (const [what, raw, message] of errors) {
        it(`reports ${what}`, () => {
            const r = parseTopologySettings(raw, P);
            assert.ok(r.errors.some((e) => message.test(e)), r.errors.join("\n"));
        });
    }

    it("rejects components with uncompressed model data, the variant's autoscaling, or an initial instance count outside the managed range", () => {
        const r = parseSettings({ topology: "components", modelDataMode: "uncompressed", autoscaling: "true", autoscalingMaxInstances: "2",
            initialInstanceCount: "2", componentsMaxInstanceCount: "1" }, ctx);
        assert.strictEqual(r.settings, undefined);
        for (const m of [/modelDataMode uncompressed and .*topology components/, /autoscaling and .*topology components: .* set .*autoscaling to false/,
            /initialInstanceCount \(2\) must be from 1 to .*componentsMaxInstanceCount \(1\)/]) {
            assert.ok(r.errors.some((e) => m.test(e)), `${m}\n${r.errors.join("\n")}`);
        }
    });
});

describe("topology components: names and the variant", () => {
    it("names a component <endpoint>-<model> with _ as -, and shortens long names with a hash, within 63 characters", () => {
        assert.strictEqual(componentName("gpu-multi-model-endpoint-dev", "fashion"), "gpu-multi-model-endpoint-dev-fashion");
        assert.strictEqual(componentName("ep", "my_model"), "ep-my-model");
        const long = componentName("e".repeat(60), "sentiment");
        assert.ok(long.length <= 63 && long.endsWith("-sentiment") && /^e+-[0-9a-f]{8}-sentiment$/.test(long), long);
        assert.notStrictEqual(componentName("e".repeat(60), "sentiment"), componentName(`${"e".repeat(59)}f`, "sentiment"));
        assert.match(componentName("e".repeat(63), "m".repeat(63)), /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    });

    it("builds the model-less variant with managed instance scaling and least-outstanding-requests routing", () => {
        assert.deepStrictEqual(componentsVariant({ variantName: "AllTraffic", instanceType: "ml.g5.xlarge", initialInstanceCount: 1 }, { minInstances: 0, maxInstances: 3 }), {
            variantName: "AllTraffic", instanceType: "ml.g5.xlarge", initialInstanceCount: 1, volumeSizeInGb: undefined,
            managedInstanceScaling: { status: "ENABLED", minInstanceCount: 0, maxInstanceCount: 3 }, routingConfigs: [{ routingStrategy: "LEAST_OUTSTANDING_REQUESTS" }],
        });
        assert.strictEqual(componentResourceId("ep-fashion"), "inference-component/ep-fashion");
    });
});
