/**
 * Preview-time placement check of the components topology. Pure: from models.json (memoryBytes,
 * accelerators, cpuCores), the copy settings and the instance type's GPU count and GPU memory
 * (instanceTypes.ts), it decides each model's inference-component reservation and reports every
 * placement SageMaker could never make, naming the model and the numbers, before anything is declared.
 *
 * Model of the placement (SageMaker's): each copy of a component gets its accelerators to itself, so
 * a copy needs `accelerators` GPUs of ONE instance and its memoryBytes must fit in their memory; all copies
 * at their minimum (and at creation, their initial count) must fit on the most instances managed instance
 * scaling may run. Host memory and vCPUs are not in the instance table, so CPU-only components and
 * cpuCores are passed to SageMaker unchecked.
 */
import type { GpuInstanceInfo } from "../instanceTypes";
import type { ModelEntry } from "../../packaging/manifest";
import { ComponentsSettings, copiesOf, CopyCounts } from "../../config/topologyConfig";
import { keyNamer } from "../../config/names";

/** Frameworks that use a GPU when they have one: they reserve one by default. */
export const GPU_FRAMEWORKS: readonly string[] = ["pytorch", "tensorflow"];
const MIB = 1024 * 1024;

/** What one model's inference component reserves per copy, and its copies. */
export interface ComponentPlacement {
    model: string;
    /** numberOfAcceleratorDevicesRequired. */
    accelerators: number;
    /** numberOfCpuCoresRequired; undefined = not reserved. */
    cpuCores?: number;
    /** minMemoryRequiredInMb: memoryBytes rounded up to MiB. */
    minMemoryMb: number;
    copies: CopyCounts;
}

export interface PlacementInput {
    project: string;
    manifestPath: string;
    models: readonly ModelEntry[];
    gpu: GpuInstanceInfo;
    components: ComponentsSettings;
}

export interface PlacementResult { placements: ComponentPlacement[]; errors: string[]; warnings: string[] }

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Pure: the reservation of one model (defaults: 1 GPU for GPU frameworks, 0 for others). */
export function reservationOf(m: ModelEntry, c: ComponentsSettings): ComponentPlacement {
    return {
        model: m.name,
        accelerators: m.accelerators ?? (GPU_FRAMEWORKS.includes(m.framework) ? 1 : 0),
        cpuCores: m.cpuCores,
        minMemoryMb: Math.ceil(m.memoryBytes / MIB),
        copies: copiesOf(c, m.name),
    };
}

/** Pure: the placements, or every impossible one as an error naming the model and the numbers. */
export function checkPlacement(i: PlacementInput): PlacementResult {
    const K = keyNamer(i.project);
    const c = i.components;
    const { instanceType, gpuCount, memoryPerGpuBytes } = i.gpu;
    const errors: string[] = [];
    const warnings: string[] = [];
    const names = new Set(i.models.map((m) => m.name));
    for (const name of Object.keys(c.perModel)) {
        if (!names.has(name)) errors.push(`${K("componentCopies")}.${name}: no model "${name}" in ${i.manifestPath} (models: ${[...names].join(", ")}); fix the name or remove the entry.`);
    }
    const byPart = new Map<string, string>();
    for (const m of i.models) {
        const part = m.name.replace(/_/g, "-"); // SageMaker names have no "_" (modelComponent.ts componentName)
        const other = byPart.get(part);
        if (other) errors.push(`${i.manifestPath}: models "${other}" and "${m.name}" would get the same inference component name (…-${part}; "_" becomes "-"); rename one.`);
        byPart.set(part, m.name);
    }
    const placements = i.models.map((m) => reservationOf(m, c));
    const fleetGpus = c.maxInstances * gpuCount;
    for (const p of placements) {
        const m = i.models.find((x) => x.name === p.model)!;
        const at = `${i.manifestPath}: model "${p.model}"`;
        const { min, max, initial } = p.copies;
        if (min > max) errors.push(`${at}: minimum ${min} copies is above its maximum ${max}; raise ${K("componentMaxCopies")} or set ${K("componentCopies")}.${p.model}.max >= ${min}.`);
        if (initial < min || initial > max) errors.push(`${at}: ${initial} initial copies is outside its range ${min} to ${max}; set ${K("componentCopies")}.${p.model}.initial within it.`);
        if (p.accelerators > gpuCount) {
            errors.push(`${at}: reserves ${p.accelerators} accelerators per copy, but ${instanceType} has ${gpuCount} GPU(s) per instance and a copy cannot span instances; ` +
                `set its accelerators to at most ${gpuCount} or choose an instance type with more GPUs (${K("instanceType")}).`);
            continue;
        }
        if (p.accelerators > 0 && m.memoryBytes > p.accelerators * memoryPerGpuBytes) {
            const need = Math.ceil(m.memoryBytes / memoryPerGpuBytes);
            errors.push(`${at}: needs ${gib(m.memoryBytes)} (memoryBytes ${m.memoryBytes}) but its ${p.accelerators} accelerator(s) on ${instanceType} hold ` +
                `${gib(p.accelerators * memoryPerGpuBytes)} (${gib(memoryPerGpuBytes)} per GPU); ` +
                (need <= gpuCount ? `set its accelerators to ${need}` : `no ${instanceType} instance holds it (${gib(gpuCount * memoryPerGpuBytes)} in all); choose an instance type with more GPU memory`) + ".");
        }
        if (p.accelerators > 0 && max * p.accelerators > fleetGpus) {
            errors.push(`${at}: maximum ${max} copies x ${p.accelerators} accelerator(s) = ${max * p.accelerators} GPUs, but at most ${c.maxInstances} ${instanceType} instance(s) ` +
                `(${K("componentsMaxInstanceCount")}) have ${fleetGpus}; lower its maximum copies to ${Math.floor(fleetGpus / p.accelerators)} or raise ${K("componentsMaxInstanceCount")}.`);
        }
    }
    for (const [what, pick] of [["minimum", (p: ComponentPlacement) => p.copies.min], ["initial", (p: ComponentPlacement) => p.copies.initial]] as const) {
        const used = placements.filter((p) => p.accelerators > 0 && pick(p) > 0);
        const total = used.reduce((n, p) => n + pick(p) * p.accelerators, 0);
        if (total > fleetGpus) {
            errors.push(`${i.manifestPath}: the ${what} copies need ${total} GPUs (${used.map((p) => `${p.model} ${pick(p)} x ${p.accelerators}`).join(", ")}), ` +
                `but at most ${c.maxInstances} ${instanceType} instance(s) (${K("componentsMaxInstanceCount")}) have ${fleetGpus}; ` +
                `raise ${K("componentsMaxInstanceCount")} to ${Math.ceil(total / gpuCount)}, or lower the ${what} copies or accelerators.`);
        }
    }
    if (c.minInstances > 0 && placements.every((p) => p.copies.min === 0)) {
        warnings.push(`${K("componentsMinInstanceCount")}: every model may scale to 0 copies, but ${c.minInstances} instance(s) stay running; set it to 0 to scale the endpoint to zero instances.`);
    }
    return { placements, errors, warnings };
}
