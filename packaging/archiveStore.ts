/**
 * The content-addressed copies `<buildDir>/<sha16>/model.tar.gz` the endpoint uploads: hashing a
 * copy before it is put in place, and pruning old copies so the build folder does not grow forever.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Content-addressed archive folders kept besides the one just produced. */
export const KEEP_ARCHIVE_COPIES = 3;

/** A content-addressed folder name: the first 16 hex digits of the archive's sha256. */
const SHA16 = /^[0-9a-f]{16}$/;

/**
 * Hex sha256 of a file's bytes (streamed, 1 MiB reads). With `expectedBytes`, a file whose length
 * differs from it (it changed while being hashed) is an error naming the file.
 */
export async function sha256OfFile(file: string, expectedBytes?: number): Promise<string> {
    const h = crypto.createHash("sha256");
    let n = 0;
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
        h.update(chunk as Buffer);
        n += (chunk as Buffer).length;
    }
    if (expectedBytes !== undefined && n !== expectedBytes) {
        throw new Error(`${file}: changed size while hashing (${expectedBytes} -> ${n} bytes); retry when nothing writes to the model directory`);
    }
    return h.digest("hex");
}

/**
 * Removes `<buildDir>/<sha16>/` folders beyond the `keep` most recently modified ones, never `current`
 * (the sha16 folder just produced or reused, which is not counted in `keep`). Other entries of
 * `buildDir` are left alone. Returns the removed folder names.
 */
export async function pruneArchiveCopies(buildDir: string, current: string, keep = KEEP_ARCHIVE_COPIES): Promise<string[]> {
    const dirents = await fs.promises.readdir(buildDir, { withFileTypes: true });
    const others: { name: string; mtimeMs: number }[] = [];
    for (const d of dirents) {
        if (!d.isDirectory() || !SHA16.test(d.name) || d.name === current) continue;
        try {
            others.push({ name: d.name, mtimeMs: (await fs.promises.stat(path.join(buildDir, d.name))).mtimeMs });
        } catch {
            // removed meanwhile by another build
        }
    }
    others.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? -1 : 1));
    const removed = others.slice(keep).map((o) => o.name);
    for (const name of removed) await fs.promises.rm(path.join(buildDir, name), { recursive: true, force: true });
    return removed;
}
