import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { keptArchiveFile, localArchive } from "../../../local/localArchive";
import { cleanupTempDirs, makeModelDir, sha256File as sha256, tempDir, validModelFiles, writeFiles } from "../../support/archiveFixtures";

describe("npm start's archive (local/localArchive.ts)", () => {
    afterEach(cleanupTempDirs);

    it("keeps the archive of a model directory inside the repository in build/local-endpoint, one folder per directory", () => {
        const repo = tempDir("repo-");
        fs.mkdirSync(path.join(repo, "model-src")); fs.mkdirSync(path.join(repo, "other"));
        const kept = keptArchiveFile(path.join(repo, "model-src"), repo)!;
        assert.match(path.relative(repo, kept), /^build\/local-endpoint\/[0-9a-f]{16}\/model\.tar\.gz$/);
        assert.equal(keptArchiveFile(path.join(repo, "model-src"), repo), kept);
        assert.notEqual(keptArchiveFile(path.join(repo, "other"), repo), kept);
    });

    it("keeps nothing for a model directory outside the repository, under its build/ folder, or the repository itself", () => {
        const repo = tempDir("repo-");
        fs.mkdirSync(path.join(repo, "build", "x"), { recursive: true });
        assert.equal(keptArchiveFile(tempDir("elsewhere-"), repo), undefined);
        assert.equal(keptArchiveFile(path.join(repo, "build", "x"), repo), undefined);
        assert.equal(keptArchiveFile(repo, repo), undefined);
    });

    it("reuses the kept archive while the model directory is unchanged, copies the same bytes, and rebuilds after an edit", async () => {
        const repo = tempDir("repo-");
        const modelDir = writeFiles(path.join(repo, "models"), validModelFiles());
        const work1 = tempDir("work-"), work2 = tempDir("work-"), work3 = tempDir("work-");
        // files changed in the tick the build starts are never cached (archiveCache.ts): let the clock move on
        await new Promise((r) => setTimeout(r, 20));
        const first = await localArchive(modelDir, path.join(work1, "model.tar.gz"), repo);
        const again = await localArchive(modelDir, path.join(work2, "model.tar.gz"), repo);
        assert.deepEqual([first.cached, again.cached, again.sha256], [false, true, first.sha256]);
        assert.equal(sha256(path.join(work2, "model.tar.gz")), first.sha256);
        fs.appendFileSync(path.join(modelDir, "code", "inference.py"), "\n# edited\n");
        const edited = await localArchive(modelDir, path.join(work3, "model.tar.gz"), repo);
        assert.equal(edited.cached, false);
        assert.notEqual(edited.sha256, first.sha256);
        assert.equal(sha256(path.join(work3, "model.tar.gz")), edited.sha256);
    });

    it("builds a model directory outside the repository in the temporary folder only", async () => {
        const repo = tempDir("repo-");
        const modelDir = makeModelDir();
        const out = path.join(tempDir("work-"), "model.tar.gz");
        const r = await localArchive(modelDir, out, repo);
        assert.equal(sha256(out), r.sha256);
        assert.equal(fs.existsSync(path.join(repo, "build")), false);
    });
});
