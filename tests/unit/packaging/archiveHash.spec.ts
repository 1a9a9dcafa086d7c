import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HASH_WORKER_FROM, mainThreadHasher, shareable, workerHasher } from "../../../packaging/archiveHash";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { cleanupTempDirs, makeModelDir, seededBytes, sha256File, tempDir, validModelFiles } from "../../support/archiveFixtures";

const sha256 = (parts: Buffer[]) => parts.reduce((h, p) => h.update(p), crypto.createHash("sha256")).digest("hex");

/** Pieces like a member's: a small pooled buffer, views of a shared chunk, a slice of a larger ordinary buffer. */
function pieces(): { shared: Buffer; parts: Buffer[] } {
    const shared = Buffer.from(new SharedArrayBuffer(1 << 20));
    seededBytes(shared.length, "shared").copy(shared);
    const ordinary = seededBytes(300000, "ordinary");
    return { shared, parts: [Buffer.from([0x1f, 0x8b, 8]), shared.subarray(0, 65535), Buffer.from("block"), shared.subarray(65535), ordinary.subarray(7, 250000)] };
}

describe("archive sha256 (on a worker thread for large archives)", function () {
    after(cleanupTempDirs);

    it("gives the sha256 of the pieces in order, on the worker thread and on the main thread alike", async () => {
        const { parts } = pieces();
        for (const hasher of [workerHasher(), mainThreadHasher()]) {
            await hasher.update(parts.slice(0, 2));
            await hasher.update([]);
            await hasher.update(parts.slice(2));
            assert.equal(await hasher.digest(), sha256(parts));
        }
    });

    it("has read a shared chunk once update resolves, so the chunk can be refilled at once", async () => {
        const { shared, parts } = pieces();
        const expected = sha256(parts);
        const hasher = workerHasher();
        const updates = [hasher.update(parts.slice(0, 3)), hasher.update(parts.slice(3))];
        await Promise.all(updates);
        shared.fill(0); // the reader reusing the chunk
        assert.equal(await hasher.digest(), expected);
    });

    it("passes shared views without a copy and copies the other pieces, in order, into one transferable buffer", () => {
        const { shared, parts } = pieces();
        const { views, transfer } = shareable(parts);
        assert.equal(views[1], parts[1]);
        assert.equal(views[3].buffer, shared.buffer);
        assert.equal(transfer.length, 1);
        assert.equal(transfer[0].byteLength, parts[0].length + parts[2].length + parts[4].length);
        for (const i of [0, 2, 4]) assert.equal(views[i].buffer, transfer[0]);
        assert.deepEqual(views.map((v) => Buffer.from(v)), parts);
    });

    it("refuses pieces after it was stopped, with an error instead of waiting forever", async () => {
        const hasher = workerHasher();
        await hasher.close();
        await assert.rejects(hasher.update([Buffer.from("late")]), /sha256 thread was stopped/);
        await hasher.close();
    });

    it("gives an archive above the worker threshold the sha256 of its written bytes, the same for one and four jobs", async function () {
        this.timeout(60000);
        const dir = makeModelDir({ ...validModelFiles(), "weights/big.bin": seededBytes(HASH_WORKER_FROM + 3 * 1048576, "big") });
        const out = tempDir("hash-out-");
        const one = await buildModelArchive(dir, path.join(out, "one.tar.gz"), { jobs: 1, cache: false });
        const four = await buildModelArchive(dir, path.join(out, "four.tar.gz"), { jobs: 4, cache: false });
        assert.ok(one.tarBytes >= HASH_WORKER_FROM);
        assert.equal(one.sha256, sha256File(path.join(out, "one.tar.gz")));
        assert.equal(four.sha256, one.sha256);
        assert.equal(fs.statSync(path.join(out, "four.tar.gz")).size, one.bytes);
    });
});
