/**
 * Checks of the model directory against the settings, run before any resource is declared:
 * packaging/modelDir.ts's `validateModelDir`, plus the deploy-side framework check (containerEnv.ts),
 * the network-isolation error (isolation.ts), the GPU memory budget (memoryBudget.ts) and, with
 * modelDataMode uncompressed, the file names SageMaker rejects under an S3Prefix. Reads files synchronously; never throws.
 * With topology components the placement check (placement.ts) replaces the memory budget: each model runs alone.
 */
import * as fs from "fs";
import * as path from "path";
import { frameworkWarnings } from "../containerEnv";
import { requirementsIsolationProblem } from "../isolation";
import { listArchiveEntries } from "../../packaging/archiveEntries";
import { checkMemoryBudget } from "./memoryBudget";
import { checkPlacement, ComponentPlacement } from "./placement";
import { layoutProblems } from "../uncompressedModelData";
import { validateModelDir, REQUIREMENTS_FILE } from "../../packaging/modelDir";
import { MANIFEST_FILE, Manifest } from "../../packaging/manifest";
import type { Settings } from "../../config/settings";

/** Above this many files, uncompressed mode warns: one S3 object and one Pulumi resource per file. */
export const UNCOMPRESSED_FILES_WARNING = 1000;

/**
 * Pure: problems of uncompressed mode for the files the archive would pack (posix paths relative to `dir`):
 * an error per name SageMaker rejects, a warning above UNCOMPRESSED_FILES_WARNING files.
 */
export function uncompressedModeProblems(project: string, dir: string, files: readonly string[]): { errors: string[]; warnings: string[] } {
    const key = `${project}:modelDataMode`;
    const errors = layoutProblems(files.map((p) => ({ path: p })))
        .map((e) => `${dir}/${e.replace(/use the model\.tar\.gz mode$/, `set ${key} to archive`)}.`);
    const warnings = files.length > UNCOMPRESSED_FILES_WARNING
        ? [`${key}: ${dir} has ${files.length} files; uncompressed mode declares one S3 object (one Pulumi resource) per file, which makes ` +
            `preview and state large. Merge small files (e.g. shard weights into fewer, larger files) or set ${key} to archive.`]
        : [];
    return { errors, warnings };
}

export interface ModelDirPlan {
    /** Absolute model directory. */
    dir: string;
    errors: string[];
    warnings: string[];
    manifest?: Manifest;
    /** Topology components: each model's inference-component reservation and copies (placement.ts). */
    placements?: ComponentPlacement[];
}

/** Resolves `settings.modelDir` against `baseDir` and checks it. */
export function checkModelDirForDeploy(settings: Settings, baseDir: string): ModelDirPlan {
    const dir = path.resolve(baseDir, settings.modelDir);
    // the one walk, with this stack's key prefix (`<artifactPrefix>/<16 hex>/`) for the S3 key length
    const check = validateModelDir(dir, { keyPrefixBytes: Buffer.byteLength(settings.artifactPrefix) + 18 });
    const errors = [...check.errors];
    const warnings = [...check.warnings];
    let placements: ComponentPlacement[] | undefined;
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
        const common = { project: settings.project, models: check.manifest.models, manifestPath: path.join(dir, MANIFEST_FILE), gpu: settings.gpu };
        // The router's one process holds every model (memory budget); the components topology places each model on its own (placement).
        const components = settings.topology.components;
        const r = components ? checkPlacement({ ...common, components })
            : checkMemoryBudget({ ...common, modelServerWorkers: settings.modelServerWorkers, modelCache: settings.modelCache });
        errors.push(...r.errors);
        warnings.push(...r.warnings);
        if ("placements" in r) placements = r.placements;
    }
    if (settings.modelDataMode === "uncompressed" && check.errors.length === 0) {
        try {
            const files = listArchiveEntries(dir).filter((e) => e.type === "file").map((e) => e.path);
            const u = uncompressedModeProblems(settings.project, dir, files);
            errors.push(...u.errors);
            warnings.push(...u.warnings);
        } catch (e) {
            errors.push((e as Error).message);
        }
    }
    const isolation = requirementsIsolationProblem(settings.project, settings.enableNetworkIsolation, requirementsText, reqPath);
    if (isolation) errors.push(isolation);
    return { dir, errors, warnings, manifest: check.manifest, placements };
}
