/**
 * The archive `npm start` serves: built with `buildModelArchive` (what `pulumi up` uploads) into a folder
 * of build/ kept per model directory, so an unchanged model directory reuses its archive (the archive
 * cache of packaging/archiveCache.ts) instead of compressing it again on every start; then copied into the
 * endpoint's temporary folder. Model directories outside the repository (and under its build/) are built
 * in the temporary folder as before, so temporary test directories leave nothing behind in build/.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ArchiveResult, buildModelArchive } from "../packaging/modelArchive";

/** Where the archive of `modelDir` is kept between starts, or undefined when it is not kept. Pure apart from realpath. */
export function keptArchiveFile(modelDir: string, repoRoot: string): string | undefined {
    const real = (p: string) => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };
    const dir = real(modelDir), root = real(repoRoot);
    const rel = path.relative(root, dir);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep)[0] === "build") return undefined;
    const slot = crypto.createHash("sha256").update(dir).digest("hex").slice(0, 16);
    return path.join(root, "build", "local-endpoint", slot, "model.tar.gz");
}

/** Builds (or reuses) the archive of `modelDir` and leaves a copy at `archiveFile`. */
export async function localArchive(modelDir: string, archiveFile: string, repoRoot: string): Promise<ArchiveResult> {
    const kept = keptArchiveFile(modelDir, repoRoot);
    if (kept === undefined) return buildModelArchive(modelDir, archiveFile);
    const result = await buildModelArchive(modelDir, kept);
    await fs.promises.copyFile(kept, archiveFile, fs.constants.COPYFILE_FICLONE);
    return result;
}
