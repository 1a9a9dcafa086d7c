/**
 * The facts of data/ as the config descriptions (Pulumi.yaml, docs/configuration.md) state them, so no description
 * names a version or an instance family by hand: a new DLC image or GPU family in data/ changes the text.
 * Pure functions of the facts; the facts files are the defaults.
 */
import { DlcImages, GpuFamilyFacts, readFacts } from "./facts";

type Dlc = Pick<DlcImages, "gpuTags" | "versionAliases">;
const dlc = (): Dlc => readFacts("dlc-images");
const families = (): readonly GpuFamilyFacts[] => readFacts("gpu-instances").families;

/** `2.1.0 to 2.6.0 (aliases 2.1 ... 2.6)`: the DLC versions with an image, first to last, and their short aliases. */
export function frameworkVersionRange(d: Dlc = dlc()): string {
    const versions = Object.keys(d.gpuTags);
    const aliases = Object.entries(d.versionAliases).filter(([, full]) => d.gpuTags[full]).map(([alias]) => alias);
    const range = versions.length > 1 ? `${versions[0]} to ${versions[versions.length - 1]}` : versions.join("");
    const short = aliases.length > 1 ? `${aliases[0]} ... ${aliases[aliases.length - 1]}` : aliases.join("");
    return aliases.length ? `${range} (alias${aliases.length > 1 ? "es" : ""} ${short})` : range;
}

/** Runs of versions as `a, b` or, from three on, `a to c` (the versions in the order data/ lists them). */
function versionRuns(run: string[]): string {
    return run.length >= 3 ? `${run[0]} to ${run[run.length - 1]}` : run.join(", ");
}

/**
 * One item per Python of the DLC images, in order of first appearance: `py311 (2.3.0 to 2.5.1)`. Consecutive
 * versions (in data/'s order) of one Python are a run; runs are joined with `, `.
 */
export function pythonVersionItems(d: Dlc = dlc()): string[] {
    const versions = Object.keys(d.gpuTags);
    const pythons = [...new Set(versions.flatMap((v) => Object.keys(d.gpuTags[v])))];
    return pythons.map((py) => {
        const runs: string[][] = [];
        versions.forEach((v, i) => {
            if (!d.gpuTags[v][py]) return;
            const last = runs[runs.length - 1];
            if (last && i > 0 && last[last.length - 1] === versions[i - 1]) last.push(v);
            else runs.push([v]);
        });
        return `${py} (${runs.map(versionRuns).join(", ")})`;
    });
}

/** `ml.<family>` of each GPU family, in listing order; `withoutStorage` keeps those without local NVMe storage. */
export function gpuFamilyNames(opts: { withoutStorage?: boolean } = {}, list: readonly GpuFamilyFacts[] = families()): string[] {
    return list.filter((f) => !opts.withoutStorage || !f.instanceStorage).map((f) => `ml.${f.family}`);
}
