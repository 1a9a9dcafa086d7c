/** The content-addressed copy of a built archive, shared by both topologies. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ArchiveProgress, buildModelArchive } from "./modelArchive";
import { KEEP_ARCHIVE_COPIES, pruneArchiveCopies, sha256OfFile } from "./archiveStore";

/** The built archive as the component uses it. */
export interface BuiltArchive { sha256: string; bytes: number; file: string }

/**
 * Builds `<buildDir>/model.tar.gz` (a stable path, so the archive cache can reuse it when nothing
 * changed), then copies it to the content-addressed `<buildDir>/<sha16>/model.tar.gz` that is uploaded.
 * The copy is hashed before it is renamed into place: another build (a concurrent preview) may rewrite
 * the shared stable file meanwhile, and wrong bytes must never sit under a content address.
 * Older `<sha16>/` folders beyond the newest {@link KEEP_ARCHIVE_COPIES} are removed.
 */
export async function buildArchiveInto(modelDir: string, buildDir: string, onProgress?: (p: ArchiveProgress) => void,
    linkRoot?: string): Promise<BuiltArchive> {
    const latest = path.join(buildDir, "model.tar.gz");
    const result = await buildModelArchive(modelDir, latest, { onProgress, linkRoot });
    const sha16 = result.sha256.slice(0, 16);
    const file = path.join(buildDir, sha16, "model.tar.gz");
    if (!fs.existsSync(file)) {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
        // A copy (a reflink where the file system can), never a hard link: `latest` may be rewritten later.
        await fs.promises.copyFile(latest, tmp, fs.constants.COPYFILE_FICLONE);
        const copied = await sha256OfFile(tmp);
        if (copied !== result.sha256) {
            await fs.promises.rm(tmp, { force: true });
            throw new Error(`${latest}: changed between building and copying it to ${file} (built sha256 ${result.sha256}, ` +
                `copied ${copied}); another build changed it; rerun (one pulumi preview/up at a time per project folder).`);
        }
        await fs.promises.rename(tmp, file);
    } else {
        const now = new Date();
        await fs.promises.utimes(path.dirname(file), now, now); // reused: now the newest copy
    }
    await pruneArchiveCopies(buildDir, sha16);
    return { sha256: result.sha256, bytes: result.bytes, file };
}
