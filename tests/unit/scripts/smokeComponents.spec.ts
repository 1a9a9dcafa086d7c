import * as assert from "assert";
import { parseSmokeArgs, resolveTarget, targetFromOutputs } from "../../../scripts/smoke/smoke";

describe("smoke test: the component map of a components-topology stack", () => {
    it("reads inferenceComponents from the stack outputs next to endpointName and region", () => {
        const t = targetFromOutputs({ endpointName: "ep", region: "eu-west-1", inferenceComponents: { fashion: "ep-fashion", sentiment: "ep-sentiment" } }, "out.json", {});
        assert.deepStrictEqual(t, { endpointName: "ep", region: "eu-west-1", source: "out.json", components: { fashion: "ep-fashion", sentiment: "ep-sentiment" } });
    });

    it("has no component map for a router stack's outputs", () => {
        assert.strictEqual(targetFromOutputs({ endpointName: "ep", region: "eu-west-1" }, "out.json", {}).components, undefined);
    });

    it("refuses an inferenceComponents output that is not a map of names, naming it", () => {
        for (const bad of [[], {}, { fashion: 3 }, "ep-fashion"]) {
            assert.throws(() => targetFromOutputs({ endpointName: "ep", region: "r-1", inferenceComponents: bad }, "out.json", {}),
                /^Error: out\.json: output inferenceComponents is not a map of model name to inference component name$/);
        }
    });

    it("takes --topology components with --local and names the local components after the smoke data's models", async () => {
        const { options, errors } = parseSmokeArgs(["--local", "http://127.0.0.1:9/endpoints/local/invocations", "--topology", "components"]);
        assert.deepStrictEqual(errors, []);
        const t = await resolveTarget(options, {});
        assert.deepStrictEqual(t.components, { fashion: "fashion", sentiment: "sentiment" });
    });

    it("refuses --topology without --local and an unknown topology", () => {
        assert.deepStrictEqual(parseSmokeArgs(["--stack", "dev", "--topology", "components"]).errors,
            ["--topology is for --local only (a stack's outputs tell its topology)"]);
        assert.deepStrictEqual(parseSmokeArgs(["--local", "http://x", "--topology", "mesh"]).errors, ["--topology mesh must be router or components"]);
    });
});
