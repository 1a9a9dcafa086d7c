/**
 * The facts the program relies on, kept as JSON data in `data/` (the way the SageMaker Python SDK keeps its
 * image URIs in `image_uri_config/*.json`): `readFacts(name)` checks a file against its JSON Schema
 * (`data/<name>.schema.json`) and the cross-field rules once, and returns it typed and frozen.
 *
 * The files are imported as modules (resolveJsonModule), so they travel with the code: ts-node reads them
 * from the project root, and a compiled or bundled build carries them along without any path lookup.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import dlcImages from "../data/dlc-images.json";
import dlcImagesSchema from "../data/dlc-images.schema.json";
import gpuInstances from "../data/gpu-instances.json";
import gpuInstancesSchema from "../data/gpu-instances.schema.json";
import { standaloneValidator } from "../jsonSchema/standalone";

/** data/dlc-images.json: the PyTorch inference GPU Deep Learning Container images. */
export interface DlcImages {
    source: string;
    /** ECR repository name. */
    repository: string;
    /** Short version (2.5) -> full version (2.5.1). */
    versionAliases: Readonly<Record<string, string>>;
    /** Full version -> Python version -> full SageMaker GPU tag. */
    gpuTags: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** Region -> AWS account of the DLC registry. */
    registries: Readonly<Record<string, string>>;
}

/** One GPU family of data/gpu-instances.json. */
export interface GpuFamilyFacts {
    family: string;
    gpu: string;
    /** As the source states it: `<n> GiB` or `<n> GB`. */
    memoryPerGpu: string;
    instanceStorage: boolean;
    /** GPUs per instance size, in listing order. */
    gpusBySize: Readonly<Record<string, number>>;
}

/** data/gpu-instances.json: the GPU families the endpoint accepts. */
export interface GpuInstances {
    source: string;
    families: readonly GpuFamilyFacts[];
}

export interface Facts {
    "dlc-images": DlcImages;
    "gpu-instances": GpuInstances;
}
export type FactsName = keyof Facts;

/** Rules a JSON Schema cannot state. */
const CROSS_CHECKS: { [K in FactsName]: (d: Facts[K]) => string[] } = {
    "dlc-images": (d) => Object.entries(d.gpuTags).flatMap(([version, pys]) => Object.entries(pys)
        .filter(([py, tag]) => !tag.startsWith(`${version}-gpu-${py}-`))
        .map(([py, tag]) => `/gpuTags/${version}/${py} is "${tag}", which does not start with "${version}-gpu-${py}-"`)),
    "gpu-instances": (d) => d.families.map((f) => f.family).filter((f, i, all) => all.indexOf(f) !== i)
        .map((f) => `/families lists "${f}" twice`),
};

const SOURCES: { [K in FactsName]: { data: unknown; schema: object } } = {
    "dlc-images": { data: dlcImages, schema: dlcImagesSchema },
    "gpu-instances": { data: gpuInstances, schema: gpuInstancesSchema },
};

/** Every facts file's name. */
export const FACTS_NAMES = Object.keys(SOURCES) as FactsName[];

const where = (e: ErrorObject) => `${e.instancePath || "/"} ${e.message}` +
    (e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : "") +
    (e.keyword === "propertyNames" ? ` (${(e.params as { propertyName: string }).propertyName})` : "");

// The schemas themselves are checked against the JSON Schema meta-schema by tests/unit/sagemaker/facts.spec.ts, not at every
// start: that check is most of the cost of ajv's first compile. Each schema runs as ajv's standalone code, generated
// into build/validators when the schema changes (jsonSchema/standalone.ts), so no start compiles it.
const validators = new Map<FactsName, ValidateFunction>();
function validatorOf(name: FactsName): ValidateFunction {
    if (!validators.has(name)) {
        const text = JSON.stringify(SOURCES[name].schema);
        const options = { allErrors: true, strict: true, validateSchema: false };
        validators.set(name, standaloneValidator({ name: `${name}.schema`, text, options }).validate);
    }
    return validators.get(name)!;
}

/** Pure: every problem of `data` as facts file `name` (empty when it is valid). */
export function factsProblems(name: FactsName, data: unknown): string[] {
    const validate = validatorOf(name);
    if (!validate(data)) return (validate.errors ?? []).map(where);
    return (CROSS_CHECKS[name] as (d: unknown) => string[])(data);
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/** `data` as facts file `name`, frozen; throws one line naming every problem when it does not match. */
export function checkFacts<K extends FactsName>(name: K, data: unknown): Facts[K] {
    const problems = factsProblems(name, data);
    if (problems.length > 0) {
        throw new Error(`data/${name}.json does not match data/${name}.schema.json: ${problems.join("; ")}; fix the file.`);
    }
    return deepFreeze(data as Facts[K]);
}

const checked = new Map<FactsName, unknown>();

/** The facts file `data/<name>.json`, checked once (checkFacts). */
export function readFacts<K extends FactsName>(name: K): Facts[K] {
    if (!checked.has(name)) checked.set(name, checkFacts(name, SOURCES[name].data));
    return checked.get(name) as Facts[K];
}
