/**
 * Small temp model directories and stack-file settings for the endpoint specs.
 * Independent of model-src/ (the sample models can change without breaking these tests).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { parseSettings, rawConfigFromStackFile, CONFIG_KEYS, RawConfig } from "../../config/config";
import type { Settings } from "../../config/settings";

export const ROOT = path.resolve(__dirname, "..", "..");

const INFERENCE = [
    "import json",
    "def model_fn(model_dir):",
    "    return {}",
    "def input_fn(body, content_type):",
    "    return json.loads(body)",
    "def predict_fn(data, models):",
    "    return data",
    "def output_fn(prediction, accept):",
    "    return json.dumps(prediction)",
    "",
].join("\n");

export interface FixtureOptions {
    requirements?: string | null;
    frameworks?: string[];
    modelBytes?: Buffer;
    inference?: string | null;
}

const created: string[] = [];

/** Removes every temp folder makeModelDir created (registered as a root after-hook below). */
export function removeModelDirs(): void {
    for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
if (typeof after === "function") after(removeModelDirs);

/** Creates a valid model dir under a fresh temp folder; returns the folder (base) and dir. */
export function makeModelDir(o: FixtureOptions = {}): { base: string; dir: string } {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "gmme-endpoint-"));
    created.push(base);
    const dir = path.join(base, "model");
    fs.mkdirSync(path.join(dir, "code"), { recursive: true });
    fs.mkdirSync(path.join(dir, "tiny"), { recursive: true });
    if (o.inference !== null) fs.writeFileSync(path.join(dir, "code", "inference.py"), o.inference ?? INFERENCE);
    if (o.requirements !== null) fs.writeFileSync(path.join(dir, "code", "requirements.txt"), o.requirements ?? "scikit-learn==1.2.1\n");
    fs.writeFileSync(path.join(dir, "tiny", "model.bin"), o.modelBytes ?? Buffer.from("tiny model v1\n"));
    const frameworks = o.frameworks ?? ["pytorch", "sklearn"];
    const models = frameworks.map((fw, i) => ({
        name: `m${i}`, framework: fw, path: "tiny/model.bin", task: "text-classification",
        labels: ["a", "b"], memoryBytes: 1000,
    }));
    fs.writeFileSync(path.join(dir, "models.json"), JSON.stringify({ models }, null, 2));
    return { base, dir };
}

/** A YAML file of the repository, parsed once per test run (a fresh copy each call: callers may change it). */
const parsedYaml = new Map<string, unknown>();
function readYaml(file: string): any {
    if (!parsedYaml.has(file)) parsedYaml.set(file, parse(fs.readFileSync(path.join(ROOT, file), "utf8")));
    return structuredClone(parsedYaml.get(file));
}

/** Keys declared in Pulumi.yaml by other modules (not reported as unknown). */
export function otherDeclaredKeys(): string[] {
    const doc = readYaml("Pulumi.yaml");
    return Object.keys(doc.config ?? {}).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
}

/** Raw config + region of Pulumi.<stack>.yaml. */
export function stackFile(stack: string): { raw: RawConfig; region?: string } {
    return rawConfigFromStackFile(readYaml(`Pulumi.${stack}.yaml`));
}

/** Settings of a stack file, with modelDir pointed at `modelDir` and extra overrides. */
export function stackSettings(stack: string, modelDir: string, overrides: RawConfig = {}, regionOverride?: string): Settings {
    const { raw, region: fileRegion } = stackFile(stack);
    const region = regionOverride ?? fileRegion;
    const r = parseSettings({ ...raw, modelDir, ...overrides }, {
        project: "gpu-multi-model-endpoint", stack, region, otherKeys: otherDeclaredKeys(),
    });
    if (!r.settings) throw new Error(`stack ${stack} settings invalid:\n${r.errors.join("\n")}`);
    return r.settings;
}
