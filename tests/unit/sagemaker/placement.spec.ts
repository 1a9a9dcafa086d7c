import * as assert from "assert";
import * as path from "path";
import { allResources, resetRecorded } from "../../support/pulumiMocks";
import { checkPlacement, reservationOf } from "../../../sagemaker/checks/placement";
import { gpuInstanceInfo } from "../../../sagemaker/instanceTypes";
import { parseTopologySettings, ComponentsSettings } from "../../../config/topologyConfig";
import type { ModelEntry } from "../../../packaging/manifest";
import { stackSettings } from "../../support/endpointFixture";
import { deployComponents, makeTwoModelDir } from "../../support/componentsFixture";

const GIB = 1024 ** 3;
const P = "gpu-multi-model-endpoint";
const model = (name: string, extra: Partial<ModelEntry> = {}): ModelEntry =>
    ({ name, framework: "pytorch", path: `${name}/model.pt`, task: "t", labels: ["a"], memoryBytes: 100 * 1024 * 1024, ...extra });
function components(raw: Record<string, string> = {}): ComponentsSettings {
    const r = parseTopologySettings({ topology: "components", ...raw }, P);
    assert.deepStrictEqual(r.errors, []);
    return r.topology.components!;
}
function check(instanceType: string, models: ModelEntry[], raw: Record<string, string> = {}) {
    return checkPlacement({ project: P, manifestPath: "model-src/models.json", models, gpu: gpuInstanceInfo(instanceType)!, components: components(raw) });
}

describe("placement: what each inference component reserves", () => {
    it("reserves one GPU per copy for pytorch and tensorflow, none for sklearn, memoryBytes rounded up to MiB, cpuCores as given", () => {
        const c = components();
        assert.deepStrictEqual(reservationOf(model("a"), c), { model: "a", accelerators: 1, cpuCores: undefined, minMemoryMb: 100, copies: { min: 1, max: 1, initial: 1 } });
        assert.strictEqual(reservationOf(model("t", { framework: "tensorflow" }), c).accelerators, 1);
        assert.strictEqual(reservationOf(model("s", { framework: "sklearn", memoryBytes: 1 }), c).accelerators, 0);
        assert.strictEqual(reservationOf(model("s", { framework: "sklearn", memoryBytes: 1 }), c).minMemoryMb, 1);
        assert.deepStrictEqual(reservationOf(model("a", { accelerators: 2, cpuCores: 0.5 }), components({ componentCopies: '{"a":{"max":3}}' })),
            { model: "a", accelerators: 2, cpuCores: 0.5, minMemoryMb: 100, copies: { min: 1, max: 3, initial: 1 } });
    });

    it("accepts the sample models on one ml.g4dn.xlarge and four copies of a 1-GPU model on one ml.g5.12xlarge", () => {
        assert.deepStrictEqual(check("ml.g4dn.xlarge", [model("fashion"), model("sentiment", { framework: "sklearn" })]).errors, []);
        assert.deepStrictEqual(check("ml.g5.12xlarge", [model("a")], { componentMinCopies: "4", componentMaxCopies: "4", componentInitialCopies: "4" }).errors, []);
    });

    it("warns when every model may scale to zero copies but instances stay", () => {
        const r = check("ml.g4dn.xlarge", [model("a")], { componentMinCopies: "0" });
        assert.deepStrictEqual(r.errors, []);
        assert.match(r.warnings[0], /componentsMinInstanceCount: every model may scale to 0 copies, but 1 instance\(s\) stay running/);
    });
});

describe("placement: impossible placements are errors naming the model and the numbers", () => {
    const cases: [string, string, ModelEntry[], Record<string, string>, RegExp][] = [
        ["more accelerators than a g4dn.xlarge has", "ml.g4dn.xlarge", [model("big", { accelerators: 2 })], {},
            /model "big": reserves 2 accelerators per copy, but ml\.g4dn\.xlarge has 1 GPU\(s\) per instance/],
        ["more accelerators than a g5.12xlarge has", "ml.g5.12xlarge", [model("big", { accelerators: 8 })], {},
            /model "big": reserves 8 accelerators per copy, but ml\.g5\.12xlarge has 4 GPU\(s\)/],
        ["more memory than its one GPU holds, fixable with 2 GPUs", "ml.g5.12xlarge", [model("bert", { memoryBytes: 30 * GIB })], {},
            /model "bert": needs 30\.0 GiB \(memoryBytes 32212254720\) but its 1 accelerator\(s\) on ml\.g5\.12xlarge hold 24\.0 GiB \(24\.0 GiB per GPU\); set its accelerators to 2/],
        ["more memory than any g4dn.xlarge holds", "ml.g4dn.xlarge", [model("llm", { memoryBytes: 20 * GIB })], {},
            /model "llm": needs 20\.0 GiB .* no ml\.g4dn\.xlarge instance holds it \(16\.0 GiB in all\)/],
        ["minimum copies of all models beyond the GPUs of the max instances", "ml.g4dn.xlarge", [model("a"), model("b")], {},
            /the minimum copies need 2 GPUs \(a 1 x 1, b 1 x 1\), but at most 1 ml\.g4dn\.xlarge instance\(s\) .* have 1; raise gpu-multi-model-endpoint:componentsMaxInstanceCount to 2/],
        ["initial copies beyond the GPUs of the max instances", "ml.g5.12xlarge", [model("a")], { componentInitialCopies: "5", componentMaxCopies: "5", componentsMaxInstanceCount: "1" },
            /the initial copies need 5 GPUs \(a 5 x 1\), but at most 1 ml\.g5\.12xlarge instance\(s\)/],
        ["a maximum copy count no fleet can reach", "ml.g4dn.12xlarge", [model("a", { accelerators: 2 })], { componentMaxCopies: "3" },
            /model "a": maximum 3 copies x 2 accelerator\(s\) = 6 GPUs, but at most 1 ml\.g4dn\.12xlarge instance\(s\) .* have 4; lower its maximum copies to 2/],
        ["a minimum above the maximum for one model", "ml.g5.48xlarge", [model("a")], { componentCopies: '{"a":{"min":3,"max":2,"initial":2}}' },
            /model "a": minimum 3 copies is above its maximum 2/],
        ["initial copies outside the model's range", "ml.g5.48xlarge", [model("a")], { componentCopies: '{"a":{"min":2,"max":4,"initial":1}}' },
            /model "a": 1 initial copies is outside its range 2 to 4/],
        ["copies for a model models.json does not have", "ml.g4dn.xlarge", [model("a")], { componentCopies: '{"nope":{"min":0}}' },
            /componentCopies\.nope: no model "nope" in model-src\/models\.json \(models: a\)/],
        ["two 4-GPU models at minimum on two 4-GPU instances plus a third", "ml.g6.12xlarge",
            [model("a", { accelerators: 4 }), model("b", { accelerators: 4 }), model("c", { accelerators: 2 })], { componentsMaxInstanceCount: "2" },
            /the minimum copies need 10 GPUs \(a 1 x 4, b 1 x 4, c 1 x 2\), but at most 2 ml\.g6\.12xlarge instance\(s\) .* have 8; raise .* to 3/],
        ["two models whose component names collide", "ml.g4dn.xlarge", [model("a_b", { framework: "sklearn" }), model("a-b", { framework: "sklearn" })], {},
            /models "a_b" and "a-b" would get the same inference component name/],
    ];
    for (const [what, type, models, raw, message] of cases) {
        it(`rejects ${what}`, () => {
            const r = check(type, models, raw);
            assert.ok(r.errors.some((e) => message.test(e)), `no error matched ${message}:\n${r.errors.join("\n")}`);
        });
    }

    it("reports every impossible placement at once", () => {
        const r = check("ml.g4dn.xlarge", [model("a", { accelerators: 2 }), model("b", { memoryBytes: 17 * GIB }), model("c")], {});
        assert.ok(r.errors.length >= 3, r.errors.join("\n"));
        assert.ok(r.errors.some((e) => e.includes('"a"')) && r.errors.some((e) => e.includes('"b"')));
    });

    it("stops the stack at preview with the model and numbers named, before any resource is registered", async function () {
        this.timeout(60000);
        resetRecorded();
        const { base } = makeTwoModelDir({ fashion: { accelerators: 3 } });
        await assert.rejects(deployComponents(stackSettings("dev", "model", { topology: "components" }), base),
            (e: Error) => /models\.json: model "fashion": reserves 3 accelerators per copy, but ml\.g4dn\.xlarge has 1 GPU/.test(e.message) &&
                e.message.startsWith(`Model directory ${path.join(base, "model")} has`));
        assert.deepStrictEqual(allResources(), []);
    });
});
