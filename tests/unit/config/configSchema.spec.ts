/**
 * config/schema.ts is the one source of every config key: Pulumi.yaml's config block, the docs table and
 * the parsers all follow it (a changed copy changes all three), the committed files equal its rendering,
 * and its entries are consistent (ranges, enums, conflicts, placeholders).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { parseSettings } from "../../../config/config";
import { configDrift, DOC, GENERATED_NOTE, generatedFiles, keyGroupTable, parseConfigTable, pulumiConfigBlock, writeGenerated } from "../../../config/generate";
import { parseModelCacheSettings } from "../../../config/modelCacheConfig";
import { describe as describeKey, HANDLER_CACHE_DEFAULTS, KeySpec, Schema, SCHEMA } from "../../../config/schema";
import { ENV_MAX_ENTRIES, RESERVED_ENV_KEYS, TORCHSERVE_ENV_PREFIX } from "../../../sagemaker/containerEnv";
import { ROOT } from "../../support/endpointFixture";

const P = "gpu-multi-model-endpoint";
const ctx = (schema?: Schema) => ({ project: P, stack: "dev", region: "us-east-1", schema });
/** A copy of the schema with one entry changed. */
const changed = (key: string, over: Partial<KeySpec>): Schema => SCHEMA.map((k) => (k.key === key ? { ...k, ...over } : k));
const yamlConfig = (text: string) => parse(text).config as Record<string, { default: unknown; description: string }>;

/** Renders the generated files of `schema` into a temporary copy of the two files; returns their texts. */
function renderInto(schema: Schema): { pulumiYaml: string; doc: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-schema-"));
    try {
        fs.mkdirSync(path.join(dir, "docs"));
        for (const f of ["Pulumi.yaml", DOC]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        assert.deepStrictEqual(writeGenerated(dir, schema).sort(), [DOC, "Pulumi.yaml"].sort(), "both files change");
        assert.deepStrictEqual(configDrift(dir, schema), [], "written files equal the rendering");
        return { pulumiYaml: fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"), doc: fs.readFileSync(path.join(dir, DOC), "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("config schema: one source for Pulumi.yaml, the docs table and the parsers", () => {
    it("has the committed Pulumi.yaml config block and docs table equal to what config/generate.ts renders", () => {
        assert.deepStrictEqual(configDrift(), []);
    });

    it("marks each generated region as generated from config/schema.ts", () => {
        for (const g of generatedFiles()) assert.ok(g.text.includes(GENERATED_NOTE), g.file);
        assert.ok(pulumiConfigBlock().split("\n")[1].includes("generated from config/schema.ts"));
    });

    it("changes the generated Pulumi.yaml default, the docs table and the parsed setting when one default changes in a copy (modelServerWorkers 1 -> 3)", () => {
        const copy = changed("modelServerWorkers", { default: 3 });
        const before = { yaml: yamlConfig(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")), doc: parseConfigTable(fs.readFileSync(path.join(ROOT, DOC), "utf8")).rows! };
        const after = renderInto(copy);
        const yaml = yamlConfig(after.pulumiYaml);
        assert.strictEqual(before.yaml.modelServerWorkers.default, 1);
        assert.strictEqual(yaml.modelServerWorkers.default, 3);
        const others = (c: typeof yaml) => Object.entries(c).filter(([k]) => k !== "modelServerWorkers");
        assert.deepStrictEqual(others(yaml), others(before.yaml), "no other key changes");
        const row = (rows: { key: string; default: unknown }[]) => rows.find((r) => r.key === "modelServerWorkers")!.default;
        assert.deepStrictEqual([row(before.doc), row(parseConfigTable(after.doc).rows!)], [1, 3]);
        assert.strictEqual(parseSettings({}, ctx()).settings!.modelServerWorkers, 1);
        assert.strictEqual(parseSettings({}, ctx(copy)).settings!.modelServerWorkers, 3);
        assert.strictEqual(parseSettings({ modelServerWorkers: "2" }, ctx(copy)).settings!.modelServerWorkers, 2);
    });

    it("changes the generated description and the parser's bound when one range changes in a copy (modelServerWorkers up to 8)", () => {
        const copy = changed("modelServerWorkers", { range: [1, 8] });
        assert.match(yamlConfig(renderInto(copy).pulumiYaml).modelServerWorkers.description, /^SAGEMAKER_MODEL_SERVER_WORKERS, 1 to 8\./);
        assert.deepStrictEqual(parseSettings({ modelServerWorkers: "9" }, ctx(copy)).errors,
            [`${P}:modelServerWorkers: "9" is not a whole number from 1 to 8; set it to a whole number of workers from 1 to 8.`]);
        assert.deepStrictEqual(parseSettings({ modelServerWorkers: "9" }, ctx()).errors, []);
    });

    it("changes the production, topology and model-cache parsers' defaults from a copy too", () => {
        const copy = changed("autoscalingMaxInstances", { default: 5 });
        const on = { autoscaling: "true" };
        assert.strictEqual(parseSettings(on, ctx()).settings!.production.autoscaling!.maxInstances, 2);
        assert.strictEqual(parseSettings(on, ctx(copy)).settings!.production.autoscaling!.maxInstances, 5);
        const topo = changed("componentMaxCopies", { default: 4 });
        assert.strictEqual(parseSettings({ topology: "components" }, ctx(topo)).settings!.topology.components!.copies.max, 4);
        const cache = changed("modelCacheWaitSeconds", { default: 45 });
        assert.ok(keyGroupTable("modelCache").includes("| `modelCacheWaitSeconds` | `MODEL_CACHE_WAIT_SECONDS` | `30` |"));
        assert.ok(keyGroupTable("modelCache", cache).includes("| `modelCacheWaitSeconds` | `MODEL_CACHE_WAIT_SECONDS` | `45` |"), "docs/model-cache.md's generated key table");
        assert.throws(() => keyGroupTable("nosuch"), /config-keys:nosuch: config\/schema.ts has no key group "nosuch"/);
        assert.deepStrictEqual(parseModelCacheSettings({ modelCacheWaitSeconds: "30" }, P, cache).modelCache, { waitSeconds: 30 });
        assert.deepStrictEqual(parseModelCacheSettings({ modelCacheWaitSeconds: "45" }, P, cache).modelCache, {});
    });
});

describe("config schema: consistent entries", () => {
    it("names each key once, in lowerCamelCase, with a description of its own", () => {
        assert.strictEqual(new Set(SCHEMA.map((k) => k.key)).size, SCHEMA.length);
        for (const k of SCHEMA) {
            assert.match(k.key, /^[a-z][A-Za-z0-9]*$/, k.key);
            assert.ok(describeKey(k).length > 20 && !/\{(range|min|max|enum|env)\}/.test(describeKey(k)), k.key);
        }
    });

    it("gives every integer a range and unit its default fits (0 = not set excepted), and every enum a default among its values", () => {
        for (const k of SCHEMA) {
            if (k.type === "integer") {
                assert.ok(k.range && k.unit, `${k.key}: range and unit`);
                const d = k.default as number;
                assert.ok((d >= k.range![0] && d <= k.range![1]) || d === 0, `${k.key}: default ${d} outside ${k.range}`);
            }
            if (k.enum) assert.ok(k.enum.includes(String(k.default)), `${k.key}: default ${k.default} not in ${k.enum}`);
            assert.strictEqual(typeof k.default, { string: "string", integer: "number", boolean: "boolean", array: "object", object: "object" }[k.type], k.key);
        }
    });

    it("names only declared keys as conflicts, each mentioned in the description", () => {
        for (const k of SCHEMA.filter((s) => s.conflictsWith)) {
            for (const other of k.conflictsWith!) {
                assert.ok(SCHEMA.some((s) => s.key === other), `${k.key}: ${other} is not a key`);
                assert.ok(describeKey(k).includes(other), `${k.key}: the description should name ${other}`);
            }
        }
    });

    it("takes the model cache's defaults from the handler's cache_defaults.json, and gives each model-cache key its variable", () => {
        const file = JSON.parse(fs.readFileSync(path.join(ROOT, "model-src", "code", "mme", "cache_defaults.json"), "utf8"));
        assert.deepStrictEqual(HANDLER_CACHE_DEFAULTS, file);
        const spec = (key: string) => SCHEMA.find((k) => k.key === key)!;
        assert.strictEqual(spec("modelLoadRetrySeconds").default, file.MODEL_LOAD_RETRY_SECONDS);
        assert.strictEqual(spec("modelCacheWaitSeconds").default, file.MODEL_CACHE_WAIT_SECONDS);
        assert.ok(describeKey(spec("modelCacheFraction")).includes(`(${file.MODEL_CACHE_FRACTION} / the workers sharing a GPU`));
        for (const k of SCHEMA.filter((s) => s.group === "modelCache")) assert.match(k.env ?? "", /^MODEL_/, k.key);
    });

    it("describes `environment` with the variables the program reserves, SageMaker's entry limit and the TorchServe prefix, read from containerEnv.ts", () => {
        const text = describeKey(SCHEMA.find((k) => k.key === "environment")!);
        const named = text.match(/Must not set the program's own (.*) \(use their config keys\)/)![1].split(/, | or /);
        assert.deepStrictEqual(named, [...RESERVED_ENV_KEYS]);
        assert.ok(text.includes(`at most SageMaker's ${ENV_MAX_ENTRIES} entries`) && text.includes(`any ${TORCHSERVE_ENV_PREFIX}* variable`), text);
        const copy = { key: "x", group: "core" as const, type: "string" as const, default: "", description: "{reservedEnv}" };
        assert.strictEqual(describeKey(copy).split(/, | or /).length, RESERVED_ENV_KEYS.length, "a new reserved variable appears in the text");
    });

    it("names config keys in product messages through one function (config/names.ts keyNamer), with no local copy of it (tests spell their expectations themselves)", () => {
        const copy = /\(key: string\)\s*=>\s*`\$\{[^}]*\}:\$\{key\}`/;
        const walk = (dir: string): string[] => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
            e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
        const files = ["config", "sagemaker", "local", "scripts", "packaging"].flatMap(walk);
        assert.ok(files.length > 50, `${files.length} files`);
        assert.deepStrictEqual(files.filter((f) => copy.test(fs.readFileSync(path.join(ROOT, f), "utf8"))), []);
    });
});
