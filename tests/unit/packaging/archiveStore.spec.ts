import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { KEEP_ARCHIVE_COPIES, pruneArchiveCopies, sha256OfFile } from "../../../packaging/archiveStore";
import { buildArchiveInto } from "../../../sagemaker/gpuModelEndpoint";
import { cleanupTempDirs, makeModelDir, sha256File, tempDir } from "../../support/archiveFixtures";

/** Creates `<buildDir>/<name>/model.tar.gz` with the folder's mtime `ageSeconds` in the past. */
function fakeCopy(buildDir: string, name: string, ageSeconds: number): void {
    const d = path.join(buildDir, name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "model.tar.gz"), name);
    const t = new Date(Date.now() - ageSeconds * 1000);
    fs.utimesSync(d, t, t);
}

describe("content-addressed archive copies (buildArchiveInto)", function () {
    after(cleanupTempDirs);

    it("stores bytes whose sha256 is the folder's name", async () => {
        const buildDir = tempDir("store-");
        const r = await buildArchiveInto(makeModelDir(), buildDir);
        assert.equal(r.file, path.join(buildDir, r.sha256.slice(0, 16), "model.tar.gz"));
        assert.equal(sha256File(r.file), r.sha256);
        assert.equal(await sha256OfFile(r.file), r.sha256);
    });

    it("fails, naming the file, when another build rewrote the shared archive before the copy, and stores nothing", async () => {
        const buildDir = tempDir("store-");
        const latest = path.join(buildDir, "model.tar.gz");
        const original = fs.promises.copyFile;
        (fs.promises as { copyFile: typeof original }).copyFile = async (src, dest, mode) => {
            if (String(src) === latest) await fs.promises.writeFile(latest, "bytes of another build's archive");
            return original(src, dest, mode);
        };
        let err: Error | undefined;
        try {
            await buildArchiveInto(makeModelDir(), buildDir);
        } catch (e) {
            err = e as Error;
        } finally {
            (fs.promises as { copyFile: typeof original }).copyFile = original;
        }
        assert.ok(err, "expected a rejection");
        assert.match(err.message, new RegExp(`^${latest.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: changed between building and copying it to `));
        assert.match(err.message, /another build changed it; rerun/);
        const dirs = fs.readdirSync(buildDir).filter((n) => /^[0-9a-f]{16}$/.test(n));
        assert.equal(dirs.length, 1);
        assert.deepEqual(fs.readdirSync(path.join(buildDir, dirs[0])), [], "no copy and no temp file left under the content address");
    });

    it(`keeps the ${KEEP_ARCHIVE_COPIES} newest older copies plus the one just produced and removes the rest`, async () => {
        const buildDir = tempDir("store-");
        const names = ["0000000000000001", "0000000000000002", "0000000000000003", "0000000000000004", "0000000000000005"];
        names.forEach((n, i) => fakeCopy(buildDir, n, 1000 - i * 100)); // ...05 is the newest
        fs.mkdirSync(path.join(buildDir, "not-a-copy"));
        const r = await buildArchiveInto(makeModelDir(), buildDir);
        const current = r.sha256.slice(0, 16);
        // The stat cache (model.tar.gz.cache.json) is written only when no file was modified within the
        // file system's timestamp granularity of the build, so whether it exists depends on timing.
        const kept = fs.readdirSync(buildDir).filter((n) => n !== "model.tar.gz.cache.json");
        assert.deepEqual(kept.sort(), [...names.slice(2), current, "model.tar.gz", "not-a-copy"].sort());
    });

    it("never removes the current copy, even when it is the oldest", async () => {
        const buildDir = tempDir("store-");
        ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd"].forEach((n, i) => fakeCopy(buildDir, n, 100 - i));
        fakeCopy(buildDir, "0123456789abcdef", 5000);
        assert.deepEqual(await pruneArchiveCopies(buildDir, "0123456789abcdef", 2), ["bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"]);
        assert.deepEqual(fs.readdirSync(buildDir).sort(), ["0123456789abcdef", "cccccccccccccccc", "dddddddddddddddd"]);
    });

    it("makes a reused copy the newest so it outlives older ones", async () => {
        const buildDir = tempDir("store-");
        const dir = makeModelDir();
        const first = await buildArchiveInto(dir, buildDir);
        const sha16 = first.sha256.slice(0, 16);
        const old = new Date(Date.now() - 10_000_000);
        fs.utimesSync(path.join(buildDir, sha16), old, old);
        ["1111111111111111", "2222222222222222", "3333333333333333"].forEach((n) => fakeCopy(buildDir, n, 10));
        const again = await buildArchiveInto(dir, buildDir);
        assert.equal(again.file, first.file);
        assert.ok(fs.statSync(path.join(buildDir, sha16)).mtimeMs > Date.now() - 60_000);
    });
});
