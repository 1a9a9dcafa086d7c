/**
 * Stack config of the endpoint topology: `router` (one archive, one Model, a routing handler; the default)
 * or `components` (one SageMaker inference component per model on a model-less variant with managed
 * instance scaling). The keys, their parsing and the copy settings per model. Pure.
 * The placement check (placement.ts) needs the manifest and runs with the model directory checks.
 */

export const TOPOLOGIES = ["router", "components"] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** One config key as Pulumi.yaml's `config:` block declares it (`type` undefined = untyped, an object). */
export interface TopologyConfigKey {
    key: string;
    type?: "integer" | "string";
    default: number | string | Record<string, never>;
    description: string;
}

/** Upper bounds of the whole numbers (SageMaker's own limits are account quotas). */
export const MAX_INSTANCES = 1000;
export const MAX_COPIES = 1000;

export const TOPOLOGY_CONFIG_KEYS: readonly TopologyConfigKey[] = [
    { key: "topology", type: "string", default: "router",
      description: "router: every model in one model.tar.gz behind the routing inference.py on one production variant (requests name the model). " +
        "components: one archive, SageMaker Model and inference component per model on a model-less variant with managed instance scaling " +
        "(requests name the inference component; see docs/topologies.md)." },
    { key: "componentsMinInstanceCount", type: "integer", default: 1,
      description: "components: fewest instances managed instance scaling keeps (0 to 1000; 0 lets the endpoint scale to zero instances when every component is at 0 copies)." },
    { key: "componentsMaxInstanceCount", type: "integer", default: 1,
      description: "components: most instances managed instance scaling may run (1 to 1000, >= componentsMinInstanceCount and >= initialInstanceCount); the placement check fits every component's minimum copies into them." },
    { key: "componentMinCopies", type: "integer", default: 1,
      description: "components: fewest copies of each model (0 to 1000; 0 = scale to zero: adds the scale-out-from-zero step policy and its NoCapacityInvocationFailures alarm). componentCopies overrides it per model." },
    { key: "componentMaxCopies", type: "integer", default: 1,
      description: "components: most copies of each model autoscaling may run (1 to 1000, >= its minimum). componentCopies overrides it per model." },
    { key: "componentInitialCopies", type: "integer", default: 1,
      description: "components: copies of each model deployed at creation (1 to 1000, between its minimum and maximum). componentCopies overrides it per model." },
    { key: "componentCopies", default: {},
      description: "components: per-model copy settings, a map of model name to {\"min\": n, \"max\": n, \"initial\": n} (each field optional, defaults from componentMinCopies, componentMaxCopies, componentInitialCopies). Names must be models.json models." },
    { key: "componentTargetInvocationsPerCopy", type: "integer", default: 100,
      description: "components: target of SageMakerInferenceComponentInvocationsPerCopy (invocations per copy per minute, 1 to 1000000) for each model's target-tracking policy." },
    { key: "componentScaleInCooldownSeconds", type: "integer", default: 300,
      description: "components: seconds after a copy scale-in before the next (0 to 86400)." },
    { key: "componentScaleOutCooldownSeconds", type: "integer", default: 60,
      description: "components: seconds after a copy scale-out before the next (0 to 86400); also the cooldown of the scale-out-from-zero step policy." },
];
export const TOPOLOGY_KEY_NAMES: ReadonlySet<string> = new Set(TOPOLOGY_CONFIG_KEYS.map((k) => k.key));
const DEFAULT = Object.fromEntries(TOPOLOGY_CONFIG_KEYS.map((k) => [k.key, k.default])) as Record<string, unknown>;

/** Copies of one model's inference component. */
export interface CopyCounts { min: number; max: number; initial: number }

export interface ComponentsSettings {
    minInstances: number;
    maxInstances: number;
    /** Copies of a model componentCopies does not name. */
    copies: CopyCounts;
    /** componentCopies as given: fields per model name (checked against models.json by placement.ts). */
    perModel: Record<string, Partial<CopyCounts>>;
    targetInvocationsPerCopy: number;
    scaleInCooldownSeconds: number;
    scaleOutCooldownSeconds: number;
}

/** `components` is set only for the components topology. */
export interface TopologySettings { topology: Topology; components?: ComponentsSettings }

/** Pure: the topology keys of the raw stack config (strings, as pulumi.Config gives them; JSON for componentCopies). */
export function parseTopologySettings(raw: Record<string, string | undefined>, project: string): { topology: TopologySettings; errors: string[] } {
    const K = (key: string) => `${project}:${key}`;
    const errors: string[] = [];
    const given = (key: string): string | undefined => {
        const v = raw[key]?.trim();
        return v === undefined || v === "" ? undefined : v;
    };
    const int = (key: string, min: number, max: number, unit: string): number => {
        const v = given(key);
        if (v === undefined) return DEFAULT[key] as number;
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < min || n > max) {
            errors.push(`${K(key)}: "${v}" is not a whole number of ${unit} from ${min} to ${max}; set one in that range, or remove it for the default ${DEFAULT[key]}.`);
            return DEFAULT[key] as number;
        }
        return n;
    };
    const text = given("topology") ?? "router";
    const topology = TOPOLOGIES.find((t) => t === text);
    if (!topology) {
        errors.push(`${K("topology")}: "${text}" is not a topology; set it to router (one archive, requests name the model) or components (one inference component per model).`);
    }
    const components: ComponentsSettings = {
        minInstances: int("componentsMinInstanceCount", 0, MAX_INSTANCES, "instances"),
        maxInstances: int("componentsMaxInstanceCount", 1, MAX_INSTANCES, "instances"),
        copies: {
            min: int("componentMinCopies", 0, MAX_COPIES, "copies"),
            max: int("componentMaxCopies", 1, MAX_COPIES, "copies"),
            initial: int("componentInitialCopies", 1, MAX_COPIES, "copies"),
        },
        perModel: parsePerModel(given("componentCopies"), K("componentCopies"), errors),
        targetInvocationsPerCopy: int("componentTargetInvocationsPerCopy", 1, 1000000, "invocations per copy per minute"),
        scaleInCooldownSeconds: int("componentScaleInCooldownSeconds", 0, 86400, "seconds"),
        scaleOutCooldownSeconds: int("componentScaleOutCooldownSeconds", 0, 86400, "seconds"),
    };
    if (components.minInstances > components.maxInstances) {
        errors.push(`${K("componentsMinInstanceCount")} (${components.minInstances}) is above ${K("componentsMaxInstanceCount")} (${components.maxInstances}); ` +
            `managed instance scaling needs min <= max, so lower the minimum or raise the maximum.`);
    }
    if (topology !== "components") {
        const isDefault = (k: TopologyConfigKey) => given(k.key) === undefined || given(k.key) === (typeof k.default === "object" ? "{}" : String(k.default));
        const set = TOPOLOGY_CONFIG_KEYS.filter((k) => k.key !== "topology" && !isDefault(k)).map((k) => K(k.key));
        if (topology && set.length > 0) {
            errors.push(`${set.join(", ")} ${set.length === 1 ? "applies" : "apply"} only to ${K("topology")} components (the stack uses router); ` +
                `set ${K("topology")} to components, or remove ${set.length === 1 ? "it" : "them"}.`);
        }
        return { topology: { topology: topology ?? "router" }, errors };
    }
    return { topology: { topology, components }, errors };
}

/** componentCopies: `{ "<model>": { "min"?: n, "max"?: n, "initial"?: n } }`. */
function parsePerModel(text: string | undefined, key: string, errors: string[]): Record<string, Partial<CopyCounts>> {
    if (text === undefined) return {};
    let value: unknown;
    try { value = JSON.parse(text); } catch { value = undefined; }
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (!isObj(value)) {
        errors.push(`${key}: ${JSON.stringify(text)} is not a map of model name to {"min", "max", "initial"}; set it like ` +
            `pulumi config set --path 'componentCopies.sentiment.min' 0.`);
        return {};
    }
    const out: Record<string, Partial<CopyCounts>> = {};
    for (const [model, fields] of Object.entries(value)) {
        if (!isObj(fields)) {
            errors.push(`${key}.${model}: ${JSON.stringify(fields)} is not an object; set {"min": n, "max": n, "initial": n} (each optional).`);
            continue;
        }
        const counts: Partial<CopyCounts> = {};
        for (const [field, v] of Object.entries(fields)) {
            if (field !== "min" && field !== "max" && field !== "initial") {
                errors.push(`${key}.${model}.${field}: unknown field; use min, max or initial.`);
                continue;
            }
            const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v; // pulumi config set --path stores strings
            const low = field === "min" ? 0 : 1;
            if (typeof n !== "number" || !Number.isInteger(n) || n < low || n > MAX_COPIES) {
                errors.push(`${key}.${model}.${field}: ${JSON.stringify(v)} is not a whole number of copies from ${low} to ${MAX_COPIES}.`);
                continue;
            }
            counts[field] = n;
        }
        out[model] = counts;
    }
    return out;
}

/** Pure: the copy counts of one model (componentCopies fields over the defaults). */
export function copiesOf(c: ComponentsSettings, model: string): CopyCounts {
    return { ...c.copies, ...c.perModel[model] };
}

/** Pure: settings of other modules that the components topology cannot use (none for router). */
export function topologyConflicts(t: TopologySettings, s: { project: string; modelDataMode?: string; initialInstanceCount: number; variantAutoscaling: boolean }): string[] {
    const c = t.components;
    if (!c) return [];
    const K = (key: string) => `${s.project}:${key}`;
    const errors: string[] = [];
    if (s.modelDataMode === "uncompressed") {
        errors.push(`${K("modelDataMode")} uncompressed and ${K("topology")} components: the components topology uploads one model.tar.gz per model; ` +
            `set ${K("modelDataMode")} to archive (or use the router topology).`);
    }
    if (s.variantAutoscaling) {
        errors.push(`${K("autoscaling")} and ${K("topology")} components: an inference-component endpoint scales instances by managed instance scaling ` +
            `(${K("componentsMinInstanceCount")}, ${K("componentsMaxInstanceCount")}) and each model by its copies; set ${K("autoscaling")} to false.`);
    }
    if (s.initialInstanceCount < Math.max(1, c.minInstances) || s.initialInstanceCount > c.maxInstances) {
        errors.push(`${K("initialInstanceCount")} (${s.initialInstanceCount}) must be from ${Math.max(1, c.minInstances)} to ${K("componentsMaxInstanceCount")} ` +
            `(${c.maxInstances}) with ${K("topology")} components (the instances the endpoint starts with, within managed instance scaling's range).`);
    }
    return errors;
}
