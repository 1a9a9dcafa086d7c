/**
 * Checks of the model directory against the settings, run before any resource is declared:
 * the archive engineer's `validateModelDir`, plus the deploy-side framework check of issue 3 and
 * the network-isolation error (issue 6) and the GPU memory budget (issue 5, memoryBudget.ts). Reads files synchronously; never throws.
 */
import * as fs from "fs";
import * as path from "path";
import { frameworkWarnings } from "./containerEnv";
import { requirementsIsolationProblem } from "./isolation";
import { checkMemoryBudget } from "./memoryBudget";
import { validateModelDir, REQUIREMENTS_FILE } from "./modelDir";
import { MANIFEST_FILE, Manifest } from "./manifest";
import type { Settings } from "./settings";

export interface ModelDirPlan {
    /** Absolute model directory. */
    dir: string;
    errors: string[];
    warnings: string[];
    manifest?: Manifest;
}

/** Resolves `settings.modelDir` against `baseDir` and checks it. */
export function checkModelDirForDeploy(settings: Settings, baseDir: string): ModelDirPlan {
    const dir = path.resolve(baseDir, settings.modelDir);
    const check = validateModelDir(dir);
    const errors = [...check.errors];
    const warnings = [...check.warnings];
    const reqPath = path.join(dir, REQUIREMENTS_FILE);
    let requirementsText: string | undefined;
    try { requirementsText = fs.readFileSync(reqPath, "utf8"); } catch { requirementsText = undefined; }
    if (check.manifest) {
        warnings.push(...frameworkWarnings({
            frameworks: check.manifest.models.map((m) => m.framework),
            requirementsText,
            imageHasPyTorch: settings.imageSource === "dlc" || /pytorch/i.test(settings.imageUri),
            requirementsPath: reqPath,
        }));
        const memory = checkMemoryBudget({ project: settings.project, models: check.manifest.models, manifestPath: path.join(dir, MANIFEST_FILE),
            gpu: settings.gpu, modelServerWorkers: settings.modelServerWorkers, modelCache: settings.modelCache });
        errors.push(...memory.errors);
        warnings.push(...memory.warnings);
    }
    const isolation = requirementsIsolationProblem(settings.project, settings.enableNetworkIsolation, requirementsText, reqPath);
    if (isolation) errors.push(isolation);
    return { dir, errors, warnings, manifest: check.manifest };
}
