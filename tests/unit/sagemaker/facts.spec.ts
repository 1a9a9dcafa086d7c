import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import Ajv2020 from "ajv/dist/2020";
import * as ts from "typescript";
import { checkFacts, factsProblems, FactsName, readFacts } from "../../../sagemaker/facts";
import { DLC_ACCOUNTS, FRAMEWORK_VERSION_ALIASES, GPU_IMAGE_TAGS } from "../../../sagemaker/imageUri";
import { GPU_FAMILIES, gpuInstanceInfo, memoryBytes } from "../../../sagemaker/instanceTypes";
import { findBlocks } from "../../../scripts/docs/blocks";
import { FACT_GENERATORS } from "../../../scripts/docs/facts";
import { frameworkVersionRange, gpuFamilyNames, pythonVersionItems } from "../../../sagemaker/factPhrases";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const fileOf = (name: FactsName) => JSON.parse(fs.readFileSync(path.join(ROOT, "data", `${name}.json`), "utf8"));
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");
const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
/** A doc's text with its generated blocks cut out: what a person wrote by hand. */
const handWritten = (rel: string) => read(rel).replace(/<!-- generated:([A-Za-z0-9/._:-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g, "");

describe("facts as data: data/*.json, their schemas and the one reader", () => {
    it("has schemas that are themselves valid JSON Schema 2020-12 in ajv's strict mode", () => {
        for (const name of ["dlc-images", "gpu-instances"]) {
            const ajv = new Ajv2020({ strict: true });
            const schema = JSON.parse(read(`data/${name}.schema.json`));
            assert.strictEqual(ajv.validateSchema(schema), true, `${name}: ${ajv.errorsText(ajv.errors)}`);
            assert.doesNotThrow(() => ajv.compile(schema), name);
        }
    });

    it("finds data/dlc-images.json and data/gpu-instances.json valid against their JSON Schemas and cross-field rules", () => {
        assert.deepStrictEqual(factsProblems("dlc-images", fileOf("dlc-images")), []);
        assert.deepStrictEqual(factsProblems("gpu-instances", fileOf("gpu-instances")), []);
    });

    it("names every problem of a broken DLC file by its JSON path", () => {
        const d = fileOf("dlc-images");
        d.registries["us-east-1"] = "76310435188";
        d.gpuTags["2.6.0"].py312 = "2.5.1-gpu-py312-cu124-ubuntu22.04-sagemaker";
        d.extra = true;
        const problems = factsProblems("dlc-images", d);
        assert.ok(problems.some((p) => p.startsWith("/registries/us-east-1 must match pattern")), problems.join("\n"));
        assert.ok(problems.some((p) => p.includes("must NOT have additional properties (extra)")), problems.join("\n"));
        delete d.extra;
        d.registries["us-east-1"] = "763104351884";
        assert.deepStrictEqual(factsProblems("dlc-images", d),
            ['/gpuTags/2.6.0/py312 is "2.5.1-gpu-py312-cu124-ubuntu22.04-sagemaker", which does not start with "2.6.0-gpu-py312-"']);
    });

    it("names every problem of a broken GPU file, a family listed twice included", () => {
        const g = fileOf("gpu-instances");
        g.families[0].memoryPerGpu = "16 gb";
        g.families[1].gpusBySize.xlarge = 0;
        const problems = factsProblems("gpu-instances", g);
        assert.ok(problems.some((p) => p.startsWith("/families/0/memoryPerGpu must match pattern")), problems.join("\n"));
        assert.ok(problems.includes("/families/1/gpusBySize/xlarge must be >= 1"), problems.join("\n"));
        const twice = fileOf("gpu-instances");
        twice.families.push(twice.families[1]);
        assert.deepStrictEqual(factsProblems("gpu-instances", twice), ['/families lists "g5" twice']);
    });

    it("stops with one line naming the file, the schema and each problem, and returns valid facts frozen", () => {
        const g = fileOf("gpu-instances");
        g.families[0].gpu = "";
        assert.throws(() => checkFacts("gpu-instances", g), (e: Error) =>
            /^data\/gpu-instances\.json does not match data\/gpu-instances\.schema\.json: \/families\/0\/gpu must NOT have fewer than 1 characters; fix the file\.$/.test(e.message));
        const facts = readFacts("gpu-instances");
        assert.deepStrictEqual(facts, fileOf("gpu-instances"));
        assert.ok(Object.isFrozen(facts) && Object.isFrozen(facts.families[0].gpusBySize));
        assert.strictEqual(readFacts("gpu-instances"), facts, "read and checked once");
    });

    it("gives the image and instance tables exactly the data's entries", () => {
        const d = fileOf("dlc-images");
        assert.deepStrictEqual([DLC_ACCOUNTS, FRAMEWORK_VERSION_ALIASES, GPU_IMAGE_TAGS], [d.registries, d.versionAliases, d.gpuTags]);
        const g = fileOf("gpu-instances");
        assert.deepStrictEqual(GPU_FAMILIES.map((f) => [f.family, f.gpu, f.gpusBySize, f.memoryPerGpu, f.instanceStorage]),
            g.families.map((f: any) => [f.family, f.gpu, f.gpusBySize, f.memoryPerGpu, f.instanceStorage]));
        assert.deepStrictEqual([memoryBytes("16 GiB"), memoryBytes("24 GB")], [16 * 1024 ** 3, 24e9]);
    });
});

describe("facts at run time: data/ travels with the compiled program", function () {
    this.timeout(120000);

    it("emits data/*.json beside compiled JS (tsc with the project's options) and the compiled reader reads them from there", () => {
        fs.mkdirSync(path.join(ROOT, "build"), { recursive: true });
        const out = fs.mkdtempSync(path.join(ROOT, "build", "facts-compiled-"));
        try {
            const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), { outDir: out, rootDir: ROOT, noEmit: false }, {
                ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } })!;
            const emitted = ts.createProgram([path.join(ROOT, "sagemaker", "facts.ts")], config.options).emit();
            assert.strictEqual(emitted.emitSkipped, false);
            for (const name of ["dlc-images", "gpu-instances"]) assert.ok(fs.existsSync(path.join(out, "data", `${name}.json`)), `${name}.json not emitted`);
            const compiled = path.join(out, "sagemaker", "facts.js");
            assert.ok(fs.readFileSync(compiled, "utf8").includes('require("../data/gpu-instances.json")'), "the reader imports the JSON as a module");
            const mod = require(compiled) as typeof import("../../../sagemaker/facts");
            assert.deepStrictEqual(mod.readFacts("gpu-instances"), fileOf("gpu-instances"));
            assert.ok(Object.keys(require.cache).some((k) => k === path.join(out, "data", "gpu-instances.json")), "read from the compiled output's data/");
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});

describe("facts in the docs: every figure derived from data/ is rendered from it", () => {
    for (const [id, gen] of Object.entries(FACT_GENERATORS)) {
        it(`has the generated block "${id}" in the docs, equal to what it renders from data/ now`, async () => {
            const blocks = DOCS.flatMap((f) => findBlocks(f, read(f))).filter((b) => b.id === id);
            assert.ok(blocks.length > 0, `no <!-- generated:${id} --> block in README.md or docs/`);
            const text = (await gen.render()).text.trim();
            for (const b of blocks) assert.strictEqual(b.content.trim(), text, `${b.file}: run npm run docs -- --write --only ${id}`);
        });
    }

    it("lists every tag, region, family and memory figure of data/ in docs/instances-and-images.md", () => {
        const doc = read("docs/instances-and-images.md");
        for (const pys of Object.values(GPU_IMAGE_TAGS)) for (const tag of Object.values(pys)) assert.ok(doc.includes(`\`${tag}\``), tag);
        for (const region of Object.keys(DLC_ACCOUNTS)) assert.ok(doc.includes(region), region);
        for (const f of GPU_FAMILIES) assert.ok(doc.includes(`| ml.${f.family} | ${f.gpu} |`) && doc.includes(`| ${f.memoryPerGpu} |`), f.family);
    });

    it("states no GPU memory figure by hand: no GPU name with a GiB/GB figure outside generated blocks", () => {
        const gpuNames = GPU_FAMILIES.map((f) => f.gpu.split(" ").pop()!).join("|");
        for (const f of DOCS) {
            for (const line of handWritten(f).split("\n")) {
                assert.ok(!(new RegExp(`\\b(${gpuNames})\\b`).test(line) && /\d+(\.\d+)? ?(GiB|GB)\b/.test(line)), `${f}: "${line.trim()}"`);
            }
        }
    });

    it("gives every hand-written GPU count of an instance type the data's count (\"a 4-GPU ml.g5.12xlarge\", \"# 4 GPUs per instance\")", () => {
        let seen = 0;
        for (const f of DOCS) {
            for (const line of handWritten(f).split("\n")) {
                const type = /\bml\.[a-z0-9]+\.[a-z0-9]+\b/.exec(line)?.[0];
                const count = /\b(\d+)(?:-GPU\b| GPUs? per instance\b)/.exec(line)?.[1];
                if (!type || !count) continue;
                seen++;
                assert.strictEqual(Number(count), gpuInstanceInfo(type)?.gpuCount, `${f}: "${line.trim()}"`);
            }
        }
        assert.ok(seen >= 2, `expected the docs' GPU count mentions, found ${seen}`);
    });

    it("words the DLC versions and Pythons from the data: a new image changes the phrases the descriptions use", () => {
        const d = { gpuTags: { "2.1.0": { py310: "t" }, "2.2.0": { py310: "t" }, "2.3.0": { py311: "t" }, "2.4.0": { py311: "t" }, "2.5.1": { py311: "t" } },
            versionAliases: { "2.0": "2.0.1", "2.1": "2.1.0", "2.5": "2.5.1" } };
        assert.strictEqual(frameworkVersionRange(d), "2.1.0 to 2.5.1 (aliases 2.1 ... 2.5)");
        assert.deepStrictEqual(pythonVersionItems(d), ["py310 (2.1.0, 2.2.0)", "py311 (2.3.0 to 2.5.1)"]);
        const more = { ...d, gpuTags: { ...d.gpuTags, "2.6.0": { py311: "t", py312: "t" } }, versionAliases: { ...d.versionAliases, "2.6": "2.6.0" } };
        assert.strictEqual(frameworkVersionRange(more), "2.1.0 to 2.6.0 (aliases 2.1 ... 2.6)");
        assert.deepStrictEqual(pythonVersionItems(more), ["py310 (2.1.0, 2.2.0)", "py311 (2.3.0 to 2.6.0)", "py312 (2.6.0)"]);
        const gap = { gpuTags: { "2.1.0": { py310: "t" }, "2.2.0": { py311: "t" }, "2.3.0": { py310: "t" } }, versionAliases: {} };
        assert.deepStrictEqual(pythonVersionItems(gap), ["py310 (2.1.0, 2.3.0)", "py311 (2.2.0)"]);
        assert.strictEqual(frameworkVersionRange(gap), "2.1.0 to 2.3.0");
    });

    it("names the GPU families from the data, and only those without instance storage for the EBS volume", () => {
        const list = [{ family: "g5", instanceStorage: true }, { family: "p3", instanceStorage: false }, { family: "x9", instanceStorage: false }]
            .map((f) => ({ ...f, gpu: "G", memoryPerGpu: "1 GiB", gpusBySize: {} }));
        assert.deepStrictEqual(gpuFamilyNames({}, list), ["ml.g5", "ml.p3", "ml.x9"]);
        assert.deepStrictEqual(gpuFamilyNames({ withoutStorage: true }, list), ["ml.p3", "ml.x9"]);
    });

    it("describes frameworkVersion, pythonVersion, instanceType and volumeSizeInGb in Pulumi.yaml with the data's versions and families", () => {
        const config = parse(read("Pulumi.yaml")).config as Record<string, { description: string }>;
        const dlc = { gpuTags: GPU_IMAGE_TAGS, versionAliases: FRAMEWORK_VERSION_ALIASES };
        assert.ok(config.frameworkVersion.description.includes(frameworkVersionRange(dlc)), config.frameworkVersion.description);
        for (const item of pythonVersionItems(dlc)) assert.ok(config.pythonVersion.description.includes(item), `${item} in ${config.pythonVersion.description}`);
        const families = (d: string) => [...d.matchAll(/\bml\.([a-z0-9]+)\b(?!\.)/g)].map((m) => m[1]);
        assert.deepStrictEqual(families(config.instanceType.description), GPU_FAMILIES.map((f) => f.family));
        assert.deepStrictEqual(families(config.volumeSizeInGb.description), GPU_FAMILIES.filter((f) => !f.instanceStorage).map((f) => f.family));
        const schemaText = read("config/schema.ts");
        assert.ok(!/\bpy3\d\d \(|\bml\.(g4dn|p3)\b,/.test(schemaText), "config/schema.ts names a Python or a family by hand");
    });
});
