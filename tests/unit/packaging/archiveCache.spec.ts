import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ArchiveEntry, listArchiveEntries } from "../../../packaging/archiveEntries";
import { racyEntries, writeCacheRecord } from "../../../packaging/archiveCache";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { validateModelDir } from "../../../packaging/modelDir";
import { cleanupTempDirs, makeModelDir, sha256File, tempDir } from "../../support/archiveFixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model dir and an out path, with a first (non-racy) build done and cached. */
async function builtOnce(): Promise<{ dir: string; out: string; first: Awaited<ReturnType<typeof buildModelArchive>> }> {
    const dir = makeModelDir();
    await sleep(30); // let the file-system clock move past the fixture's ctimes, so the first build is cacheable
    const out = path.join(tempDir("cache-out-"), "model.tar.gz");
    const first = await buildModelArchive(dir, out);
    assert.equal(first.cached, false);
    assert.ok(fs.existsSync(`${out}.cache.json`), "the first build writes a cache record beside the archive");
    return { dir, out, first };
}

function stamp(file: string): string {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}:${st.mtimeNs}`;
}

describe("archive cache", function () {
    after(cleanupTempDirs);

    it("a record that cannot be written fails without leaving a temporary file beside it", async () => {
        const { out, first } = await builtOnce();
        const record = `${out}.cache.json`;
        fs.rmSync(record);
        fs.mkdirSync(record); // a directory where the record goes: the rename fails
        assert.throws(() => writeCacheRecord(record, "key", out, first));
        assert.deepEqual(fs.readdirSync(path.dirname(out)).sort(), [path.basename(out), path.basename(record)].sort());
    });

    it("reuses the archive when nothing changed, without rewriting it", async () => {
        const { dir, out, first } = await builtOnce();
        const before = stamp(out);
        const again = await buildModelArchive(dir, out);
        assert.deepEqual(again, { ...first, cached: true });
        assert.equal(stamp(out), before);
        assert.equal(sha256File(out), first.sha256);
    });

    it("rebuilds after a file is touched (same content: same sha256)", async () => {
        const { dir, out, first } = await builtOnce();
        const t = new Date("2020-01-01T00:00:00Z");
        fs.utimesSync(path.join(dir, "fashion/model.pt"), t, t);
        const again = await buildModelArchive(dir, out);
        assert.equal(again.cached, false);
        assert.equal(again.sha256, first.sha256);
    });

    it("rebuilds after a file is renamed", async () => {
        const { dir, out, first } = await builtOnce();
        fs.renameSync(path.join(dir, "fashion/model.pt"), path.join(dir, "fashion/model-v2.pt"));
        const again = await buildModelArchive(dir, out);
        assert.equal(again.cached, false);
        assert.notEqual(again.sha256, first.sha256);
        assert.ok(again.files.includes("fashion/model-v2.pt"));
    });

    it("rebuilds after a same-size edit even when the mtime is put back", async () => {
        const { dir, out, first } = await builtOnce();
        const file = path.join(dir, "models.json");
        const st = fs.statSync(file);
        const text = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, text.replace("fashion", "fashiox"));
        fs.utimesSync(file, st.atime, st.mtime); // size and mtime as before; ctime still moves
        assert.equal(fs.statSync(file).size, st.size);
        const again = await buildModelArchive(dir, out);
        assert.equal(again.cached, false);
        assert.notEqual(again.sha256, first.sha256);
        assert.equal(again.sha256, sha256File(out));
    });

    it("rebuilds when the archive itself was replaced or removed", async () => {
        const { dir, out, first } = await builtOnce();
        fs.writeFileSync(out, "tampered");
        const rebuilt = await buildModelArchive(dir, out);
        assert.deepEqual([rebuilt.cached, rebuilt.sha256, sha256File(out)], [false, first.sha256, first.sha256]);
        fs.rmSync(out);
        const again = await buildModelArchive(dir, out);
        assert.deepEqual([again.cached, again.sha256], [false, first.sha256]);
    });

    it("rebuilds when an option that shapes the bytes changes, but not for jobs", async () => {
        const { dir, out, first } = await builtOnce();
        assert.equal((await buildModelArchive(dir, out, { jobs: 1 })).cached, true);
        const level9 = await buildModelArchive(dir, out, { level: 9 });
        assert.equal(level9.cached, false);
        assert.notEqual(level9.sha256, first.sha256);
    });

    it("never reads or writes a record with cache: false", async () => {
        const dir = makeModelDir();
        await sleep(30);
        const out = path.join(tempDir("cache-out-"), "model.tar.gz");
        assert.equal((await buildModelArchive(dir, out, { cache: false })).cached, false);
        assert.equal(fs.existsSync(`${out}.cache.json`), false);
        assert.equal((await buildModelArchive(dir, out, { cache: false })).cached, false);
    });

    it("keeps the record where cacheFile says", async () => {
        const dir = makeModelDir();
        await sleep(30);
        const out = path.join(tempDir("cache-out-"), "model.tar.gz");
        const cacheFile = path.join(tempDir("cache-dir-"), "record.json");
        await buildModelArchive(dir, out, { cacheFile });
        assert.ok(fs.existsSync(cacheFile));
        assert.equal((await buildModelArchive(dir, out, { cacheFile })).cached, true);
    });

    it("treats entries changed at or after the build's start as racy (never cached)", () => {
        const e = (p: string, mtimeNs: bigint, ctimeNs: bigint) => ({ path: p, mtimeNs, ctimeNs } as ArchiveEntry);
        assert.deepEqual(racyEntries([e("old", 1n, 2n), e("mtime", 10n, 2n), e("ctime", 1n, 10n), e("after", 11n, 11n)], 10n),
            ["mtime", "ctime", "after"]);
    });

    it("does not cache a build with a racy entry (here: an mtime in the future)", async () => {
        const dir = makeModelDir();
        await sleep(30);
        const future = new Date(Date.now() + 3600_000);
        fs.utimesSync(path.join(dir, "code/requirements.txt"), future, future);
        const out = path.join(tempDir("cache-out-"), "model.tar.gz");
        assert.equal((await buildModelArchive(dir, out)).cached, false);
        assert.equal(fs.existsSync(`${out}.cache.json`), false);
        assert.equal((await buildModelArchive(dir, out)).cached, false);
    });

    it("packs validateModelDir's entries without walking the directory again, cached like a walked build", async () => {
        const dir = makeModelDir();
        await sleep(30);
        const check = validateModelDir(dir);
        assert.deepEqual(check.entries, listArchiveEntries(dir));
        fs.writeFileSync(path.join(dir, "added-after-the-walk.txt"), "not in the entries");
        const out = path.join(tempDir("cache-out-"), "model.tar.gz");
        const given = await buildModelArchive(dir, out, { entries: check.entries, cache: false });
        assert.ok(!given.files.includes("added-after-the-walk.txt"), "the given entries are packed, the directory is not walked again");
        fs.rmSync(path.join(dir, "added-after-the-walk.txt"));
        const walked = await buildModelArchive(dir, `${out}.walked`, { cache: false });
        assert.equal(given.sha256, walked.sha256);
        const cachedOut = path.join(tempDir("cache-out-"), "model.tar.gz");
        await buildModelArchive(dir, cachedOut, { entries: validateModelDir(dir).entries });
        assert.equal((await buildModelArchive(dir, cachedOut)).cached, true, "a walked rerun reuses a build made from given entries");
    });

    it("gives no entries from validateModelDir when the walk found a problem", () => {
        const dir = makeModelDir();
        fs.symlinkSync("/etc/hostname", path.join(dir, "outside-link"));
        const check = validateModelDir(dir);
        assert.ok(check.errors.some((e) => e.includes("outside the model directory")), check.errors.join("\n"));
        assert.equal(check.entries, undefined);
    });
});
