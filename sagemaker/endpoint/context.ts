/**
 * What every factory of the GpuModelEndpoint gets: the checked arguments (validated BEFORE anything is
 * registered), the children's names, tags and options (`{ parent }`), and a progress reporter for long work.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkModelDirForDeploy, ModelDirPlan } from "../checks/deployChecks";
import { componentName } from "../components/modelComponent";
import { formatProgress, throttleProgress } from "../../packaging/archiveProgress";
import { ArchiveProgress, realPathOf } from "../../packaging/modelArchive";
import { isInsideDir } from "../../packaging/archiveEntries";
import { childNames } from "../../config/names";
import type { Settings } from "../../config/settings";

/** The endpoint's arguments after every check passed. */
export interface CheckedEndpointArgs {
    settings: Settings;
    plan: ModelDirPlan;
    /** Absolute archive build folder (outside the model directory). */
    buildDir: string;
}

/**
 * Resolves and checks the model directory and the build folder; throws one RunError listing every problem.
 * Registers nothing, so a failed check declares no resource.
 */
export function checkEndpointArgs(args: { settings: Settings; baseDir?: string; buildDir?: string }): CheckedEndpointArgs {
    const baseDir = args.baseDir ?? process.cwd();
    const plan = checkModelDirForDeploy(args.settings, baseDir);
    const buildDir = path.resolve(baseDir, args.buildDir ?? path.join("build", "model-archive"));
    const real = (p: string) => { try { return realPathOf(p); } catch { return p; } };
    if (isInsideDir(real(plan.dir), real(buildDir))) {
        plan.errors.push(`${buildDir}: the archive build folder is inside the model directory ${plan.dir}, so the archive would pack itself; ` +
            `set gpu-multi-model-endpoint:modelDir to the model folder itself (not the project root).`);
    }
    if (plan.errors.length > 0) {
        throw new pulumi.RunError(`Model directory ${plan.dir} has ${plan.errors.length} problem(s):\n` +
            plan.errors.map((e) => `  - ${e}`).join("\n"));
    }
    return { settings: args.settings, plan, buildDir };
}

/** Tags on every taggable resource. */
export function resourceTags(settings: Settings): Record<string, string> {
    return { project: settings.project, stack: settings.stack, "managed-by": "pulumi" };
}

export interface EndpointContext extends CheckedEndpointArgs {
    /** The component's name (prefix of its children's names). */
    name: string;
    names: ReturnType<typeof childNames>;
    tags: Record<string, string>;
    /** Options of every direct child: `{ parent: <the GpuModelEndpoint> }`. */
    opts: { parent: pulumi.Resource };
    /** Topology components: model name -> inference component name; undefined for the router. */
    componentNames?: Record<string, string>;
    /** A progress reporter logged on the component: every 2 s, only for work that takes over 2 s. */
    progressOf(label: string): (p: ArchiveProgress) => void;
}

export function endpointContext(name: string, checked: CheckedEndpointArgs, parent: pulumi.Resource): EndpointContext {
    const s = checked.settings;
    const placements = s.topology.components ? checked.plan.placements : undefined;
    return {
        ...checked, name, names: childNames(name), tags: resourceTags(s), opts: { parent },
        componentNames: placements && Object.fromEntries(placements.map((pl) => [pl.model, componentName(s.endpointName, pl.model)])),
        progressOf: (label) => {
            const report = throttleProgress((p) => pulumi.log.info(formatProgress(label, p), parent), 2000);
            return (p) => { if (p.elapsedMs >= 2000) report(p); };
        },
    };
}
