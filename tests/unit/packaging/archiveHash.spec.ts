import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { deferredHasher, HASH_WORKER_FROM, hashOnWorker, mainThreadHasher, shareable, workerHasher } from "../../../packaging/archiveHash";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { cleanupTempDirs, makeModelDir, seededBytes, sha256File, tempDir, validModelFiles } from "../../support/archiveFixtures";

const sha256 = (parts: Buffer[]) => parts.reduce((h, p) => h.update(p), crypto.createHash("sha256")).digest("hex");

/** A stored member's kind of pieces: small pooled buffers, views of a shared chunk, a slice of an ordinary buffer. */
function pieces(): { shared: Buffer; parts: Buffer[] } {
    const shared = Buffer.from(new SharedArrayBuffer(1 << 20));
    seededBytes(shared.length, "shared").copy(shared);
    const ordinary = seededBytes(300000, "ordinary");
    return { shared, parts: [Buffer.from([0x1f, 0x8b, 8]), shared.subarray(0, 65535), Buffer.from("block"), shared.subarray(65535), ordinary.subarray(7, 250000)] };
}

/** A deflated member's kind of pieces: zlib's output buffers, owned by nobody else. */
function zlibPieces(): Buffer[] {
    const out = Buffer.allocUnsafeSlow(200000);
    seededBytes(out.length, "zlib").copy(out);
    return [out.subarray(0, 120000), out.subarray(120000), Buffer.from(seededBytes(70000, "second"))];
}

describe("archive sha256 (on a worker thread for large archives)", function () {
    after(cleanupTempDirs);

    it("gives the sha256 of the pieces in order, on the worker thread and on the main thread alike", async () => {
        const expected = sha256([...pieces().parts, ...zlibPieces()]);
        for (const hasher of [workerHasher(), mainThreadHasher()]) {
            const { parts } = pieces();
            await hasher.update(parts.slice(0, 2));
            await hasher.update([]);
            await hasher.update(parts.slice(2));
            await hasher.update(zlibPieces(), true);
            assert.equal(await hasher.digest(), expected);
        }
    });

    it("has read a shared chunk once update resolves, so the chunk can be refilled at once", async () => {
        const expected = sha256(pieces().parts);
        const { shared, parts } = pieces();
        const hasher = workerHasher();
        const updates = [hasher.update(parts.slice(0, 3)), hasher.update(parts.slice(3))];
        await Promise.all(updates);
        shared.fill(0); // the reader reusing the chunk
        assert.equal(await hasher.digest(), expected);
    });

    it("passes shared views as they are and copies the other pieces, in order, into one moved buffer", () => {
        const { shared, parts } = pieces();
        const { views, transfer } = shareable(parts, false);
        assert.equal(views[1], parts[1]);
        assert.equal(views[3].buffer, shared.buffer);
        assert.equal(transfer.length, 1);
        assert.equal(transfer[0].byteLength, parts[0].length + parts[2].length + parts[4].length);
        for (const i of [0, 2, 4]) assert.equal(views[i].buffer, transfer[0]);
        assert.deepEqual(views.map((v) => Buffer.from(v)), parts);
    });

    it("moves a deflated member's own buffers without copying them, each buffer once", () => {
        const parts = zlibPieces();
        const { views, transfer } = shareable(parts, true);
        assert.deepEqual(views, parts);
        assert.deepEqual(transfer, [parts[0].buffer, parts[2].buffer]);
    });

    it("copies a piece it cannot move (Node's own buffer pool) instead of failing", async () => {
        const pooled = [Buffer.from("small pooled piece"), Buffer.from([1, 2, 3])];
        const expected = sha256(pooled);
        const hasher = workerHasher();
        await hasher.update(pooled, true);
        assert.equal(await hasher.digest(), expected);
        assert.equal(pooled[0].toString(), "small pooled piece", "the pool was not moved away");
    });

    it("refuses pieces after it was stopped, with an error instead of waiting forever", async () => {
        const hasher = workerHasher();
        await hasher.close();
        await assert.rejects(hasher.update([Buffer.from("late")]), /sha256 thread was stopped/);
        await hasher.close();
    });

    it("replays the pieces given before the choice, in order, on the hasher chosen later (worker or main thread)", async () => {
        const expected = sha256([...pieces().parts, ...zlibPieces()]);
        for (const later of [workerHasher, mainThreadHasher]) {
            const hasher = deferredHasher();
            const { parts } = pieces();
            const waiting = [hasher.update(parts.slice(0, 3)), hasher.update(parts.slice(3))];
            assert.equal(hasher.chosen, false);
            hasher.choose(later());
            await Promise.all([...waiting, hasher.update(zlibPieces(), true)]);
            assert.equal(await hasher.digest(), expected);
        }
    });

    it("hashes on the main thread when no choice was made (a one-member archive), and fails what waits when stopped", async () => {
        const single = deferredHasher();
        const { parts } = pieces();
        const expected = sha256(parts);
        const hashed = single.update(parts);
        assert.equal(await single.digest(), expected);
        await hashed;
        const stopped = deferredHasher();
        const waiting = stopped.update([Buffer.from("never hashed")]);
        await stopped.close();
        await assert.rejects(waiting, /sha256 was stopped/);
        await assert.rejects(stopped.update([Buffer.from("after the stop")]), /sha256 was stopped/, "an update after the stop fails at once");
    });

    it("hashes on the worker for large model files only, not for small archives or directories of small files", () => {
        const MIB = 1048576;
        const chunk = 4 * MIB;
        assert.equal(hashOnWorker([100, 200, ...Array(9).fill(119 * MIB)], 1071 * MIB, chunk), true, "1 GiB of weights in 9 shards");
        assert.equal(hashOnWorker(Array(5000).fill(40 * 1024), 202 * MIB, chunk), false, "5,000 files of 40 KiB");
        assert.equal(hashOnWorker([20 * MIB], 20 * MIB, chunk), false, "below the threshold");
        assert.equal(hashOnWorker([40 * MIB, ...Array(2000).fill(30 * 1024)], 100 * MIB, chunk), false, "large files under half the bytes");
        assert.equal(hashOnWorker([16 * MIB, 16 * MIB, 10 * MIB], 42 * MIB, chunk), true, "files of exactly four chunks count as large");
    });

    it("gives an archive above the worker threshold the sha256 of its written bytes, the same for one and four jobs", async function () {
        this.timeout(60000);
        const dir = makeModelDir({ ...validModelFiles(), "weights/big.bin": seededBytes(HASH_WORKER_FROM + 3 * 1048576, "big") });
        const out = tempDir("hash-out-");
        const one = await buildModelArchive(dir, path.join(out, "one.tar.gz"), { jobs: 1, cache: false });
        const four = await buildModelArchive(dir, path.join(out, "four.tar.gz"), { jobs: 4, cache: false });
        assert.ok(hashOnWorker([HASH_WORKER_FROM + 3 * 1048576], one.tarBytes, 4 * 1048576), "this build hashes on the worker");
        assert.equal(one.sha256, sha256File(path.join(out, "one.tar.gz")));
        assert.equal(four.sha256, one.sha256);
        assert.equal(fs.statSync(path.join(out, "four.tar.gz")).size, one.bytes);
    });
});
