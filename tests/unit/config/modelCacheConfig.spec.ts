import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { parseSettings } from "../../../config/config";
import { MODEL_CACHE_CONFIG_KEYS, modelCacheEnvironment, parseModelCacheSettings, DEFAULT_CACHE_FRACTION } from "../../../config/modelCacheConfig";
import { ROOT } from "../../support/endpointFixture";

const P = "gpu-multi-model-endpoint";
const parseCache = (raw: Record<string, string>) => parseModelCacheSettings(raw, P);

describe("model cache config: keys, validation, container environment", () => {
    it("sets nothing, so inference.py's defaults apply, when no key or only the declared defaults are given", () => {
        assert.deepStrictEqual(parseCache({}), { modelCache: {}, errors: [] });
        const defaults = Object.fromEntries(MODEL_CACHE_CONFIG_KEYS.map((k) => [k.key, String(k.default)]));
        assert.deepStrictEqual(parseCache(defaults), { modelCache: {}, errors: [] });
        assert.deepStrictEqual(modelCacheEnvironment({}), {});
    });

    it("passes each key that is set as its environment variable", () => {
        const r = parseCache({ modelCacheFraction: " 0.25 ", modelLoadRetrySeconds: "0", modelCacheWaitSeconds: "45" });
        assert.deepStrictEqual(r, { modelCache: { fraction: 0.25, loadRetrySeconds: 0, waitSeconds: 45 }, errors: [] });
        assert.deepStrictEqual(modelCacheEnvironment(r.modelCache), { MODEL_CACHE_FRACTION: "0.25", MODEL_LOAD_RETRY_SECONDS: "0", MODEL_CACHE_WAIT_SECONDS: "45" });
        assert.deepStrictEqual(modelCacheEnvironment(parseCache({ modelCacheBytes: "8589934592" }).modelCache), { MODEL_CACHE_BYTES: "8589934592" });
    });

    const invalid: Array<[string, Record<string, string>, string[]]> = [
        ["bytes and fraction both set", { modelCacheBytes: "1000000", modelCacheFraction: "0.4" }, [
            `${P}:modelCacheBytes and ${P}:modelCacheFraction are both set; the router would use the bytes and ignore the fraction, so remove one of them.`]],
        ["a fraction of 0", { modelCacheFraction: "0" }, [
            `${P}:modelCacheFraction: "0" is not a number in (0, 1]; set it like "0.4" (each worker's cache as a fraction of its GPU's memory), or remove it for the default 0.5 / the workers sharing a GPU.`]],
        ["a fraction over 1", { modelCacheFraction: "1.5" }, [`${P}:modelCacheFraction: "1.5" is not a number in (0, 1]; set it like "0.4" (each worker's cache as a fraction of its GPU's memory), or remove it for the default 0.5 / the workers sharing a GPU.`]],
        ["a percent instead of a fraction", { modelCacheFraction: "40%" }, [`${P}:modelCacheFraction: "40%" is not a number in (0, 1]; set it like "0.4" (each worker's cache as a fraction of its GPU's memory), or remove it for the default 0.5 / the workers sharing a GPU.`]],
        ["negative bytes", { modelCacheBytes: "-5" }, [`${P}:modelCacheBytes: "-5" is not a whole number of bytes from 1 to 9007199254740991; set one in that range, or remove it for the default.`]],
        ["bytes with a unit", { modelCacheBytes: "8GiB" }, [`${P}:modelCacheBytes: "8GiB" is not a whole number of bytes from 1 to 9007199254740991; set one in that range, or remove it for the default.`]],
        ["a retry over an hour", { modelLoadRetrySeconds: "3601" }, [`${P}:modelLoadRetrySeconds: "3601" is not a whole number of seconds from 0 to 3600; set one in that range, or remove it for the default.`]],
        ["a wait of 60 s (the invocation limit)", { modelCacheWaitSeconds: "60" }, [`${P}:modelCacheWaitSeconds: "60" is not a whole number of seconds from 1 to 59; set one in that range, or remove it for the default.`]],
        ["a wait of 0", { modelCacheWaitSeconds: "0" }, [`${P}:modelCacheWaitSeconds: "0" is not a whole number of seconds from 1 to 59; set one in that range, or remove it for the default.`]],
    ];
    for (const [what, raw, errors] of invalid) {
        it(`reports ${what} by its message`, () => assert.deepStrictEqual(parseCache(raw).errors, errors));
    }

    it("reports every problem at once through parseSettings, with no settings", () => {
        const r = parseSettings({ modelCacheBytes: "x", modelCacheFraction: "2", modelCacheWaitSeconds: "99" }, { project: P, stack: "dev", region: "us-east-1" });
        assert.strictEqual(r.settings, undefined);
        assert.deepStrictEqual(r.errors.map((e) => e.split(":")[1]), ["modelCacheBytes", "modelCacheFraction", "modelCacheBytes and gpu-multi-model-endpoint", "modelCacheWaitSeconds"]);
    });

    it("suggests the model cache key for a misspelt one", () => {
        const r = parseSettings({ modelCacheFractoin: "0.4" }, { project: P, stack: "dev", region: "us-east-1" });
        assert.match(r.errors[0], /^gpu-multi-model-endpoint:modelCacheFractoin: unknown config key; did you mean gpu-multi-model-endpoint:modelCacheFraction\?/);
    });

    it("declares every key in Pulumi.yaml with the table's type and default", () => {
        const config = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).config;
        for (const k of MODEL_CACHE_CONFIG_KEYS) {
            assert.deepStrictEqual([config[k.key]?.type, config[k.key]?.default, config[k.key]?.description], [k.type, k.default, k.description], k.key);
        }
    });

    it("uses the defaults and environment names the handler reads (model-src/code/mme/budget.py reads cache_defaults.json, as the schema does)", () => {
        const py = fs.readFileSync(path.join(ROOT, "model-src", "code", "mme", "budget.py"), "utf8");
        const handler = JSON.parse(fs.readFileSync(path.join(ROOT, "model-src", "code", "mme", "cache_defaults.json"), "utf8"));
        assert.ok(py.includes(`"cache_defaults.json"`) && py.includes(`DEFAULT_FRACTION = DEFAULTS["MODEL_CACHE_FRACTION"]`), "budget.py reads its defaults from cache_defaults.json");
        assert.strictEqual(DEFAULT_CACHE_FRACTION, handler.MODEL_CACHE_FRACTION, "DEFAULT_FRACTION");
        for (const k of MODEL_CACHE_CONFIG_KEYS) {
            assert.ok(py.includes(`"${k.env}"`), `mme/budget.py reads ${k.env}`);
            if (typeof k.default === "number" && k.default > 0) {
                assert.strictEqual(k.default, handler[k.env], `${k.env} default ${k.default}`);
                assert.match(py, new RegExp(`_env_float\\(environ, "${k.env}", float\\(DEFAULTS\\["${k.env}"\\]\\)\\)`), `${k.env} default from the file`);
            }
        }
    });
});
