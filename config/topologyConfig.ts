/**
 * Stack config of the endpoint topology: `router` (one archive, one Model, a routing handler; the default)
 * or `components` (one SageMaker inference component per model on a model-less variant with managed
 * instance scaling): the parsing and the copy settings per model. Pure. The keys are config/schema.ts's
 * group "topology". The placement check (placement.ts) needs the manifest and runs with the model directory checks.
 */
import { isObject, Reader, RawConfig } from "./parse";
import { componentInstancesOrder, componentKeysOnRouter, componentsConflicts } from "./rules";
import { describedKeys, keyNamer, KeySpec, keysOf, MAX_COPIES, Schema, SCHEMA, TOPOLOGIES } from "./schema";

export { MAX_COPIES, MAX_INSTANCES, TOPOLOGIES } from "./schema";
export type Topology = (typeof TOPOLOGIES)[number];
export type TopologyConfigKey = KeySpec;
export const TOPOLOGY_CONFIG_KEYS: readonly KeySpec[] = describedKeys("topology");
export const TOPOLOGY_KEY_NAMES: ReadonlySet<string> = new Set(TOPOLOGY_CONFIG_KEYS.map((k) => k.key));

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
export function parseTopologySettings(raw: RawConfig, project: string, schema: Schema = SCHEMA): { topology: TopologySettings; errors: string[] } {
    const r = new Reader(raw, project, schema);
    const topology = r.choice<Topology>("topology", { message: (v) => `"${v}" is not a topology; set it to router (one archive, requests name the model) ` +
        `or components (one inference component per model).` });
    const components: ComponentsSettings = {
        minInstances: r.int("componentsMinInstanceCount"),
        maxInstances: r.int("componentsMaxInstanceCount"),
        copies: { min: r.int("componentMinCopies"), max: r.int("componentMaxCopies"), initial: r.int("componentInitialCopies") },
        perModel: parsePerModel(r),
        targetInvocationsPerCopy: r.int("componentTargetInvocationsPerCopy"),
        scaleInCooldownSeconds: r.int("componentScaleInCooldownSeconds"),
        scaleOutCooldownSeconds: r.int("componentScaleOutCooldownSeconds"),
    };
    r.errors.push(...componentInstancesOrder(components.minInstances, components.maxInstances, r.K));
    if (topology !== "components") {
        const set = keysOf("topology", schema).filter((k) => k.key !== "topology" && r.changed(k.key)).map((k) => r.K(k.key));
        if (topology) r.errors.push(...componentKeysOnRouter(set, r.K));
        return { topology: { topology: topology ?? "router" }, errors: r.errors };
    }
    return { topology: { topology, components }, errors: r.errors };
}

/** componentCopies: `{ "<model>": { "min"?: n, "max"?: n, "initial"?: n } }`. */
function parsePerModel(r: Reader): Record<string, Partial<CopyCounts>> {
    const key = r.K("componentCopies");
    const value = r.object("componentCopies", `is not a map of model name to {"min", "max", "initial"}; set it like ` +
        `pulumi config set --path 'componentCopies.sentiment.min' 0.`);
    const out: Record<string, Partial<CopyCounts>> = {};
    for (const [model, fields] of Object.entries(value ?? {})) {
        if (!isObject(fields)) {
            r.errors.push(`${key}.${model}: ${JSON.stringify(fields)} is not an object; set {"min": n, "max": n, "initial": n} (each optional).`);
            continue;
        }
        const counts: Partial<CopyCounts> = {};
        for (const [field, v] of Object.entries(fields)) {
            if (field !== "min" && field !== "max" && field !== "initial") {
                r.errors.push(`${key}.${model}.${field}: unknown field; use min, max or initial.`);
                continue;
            }
            const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v; // pulumi config set --path stores strings
            const low = field === "min" ? 0 : 1;
            if (typeof n !== "number" || !Number.isInteger(n) || n < low || n > MAX_COPIES) {
                r.errors.push(`${key}.${model}.${field}: ${JSON.stringify(v)} is not a whole number of copies from ${low} to ${MAX_COPIES}.`);
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
    return t.components ? componentsConflicts(t.components, s, keyNamer(s.project)) : [];
}
