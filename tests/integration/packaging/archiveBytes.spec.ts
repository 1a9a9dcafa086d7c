/**
 * The archive's bytes are pinned: a fixed small directory (tests/support/goldenArchive.ts) must give exactly
 * the sha256 that the packaging code on main gave before the packaging pipeline was rewritten for speed
 * (synchronous small-file reads, pooled chunk buffers, hashing and writing on a worker thread). The expected
 * values were computed once with main's code (Node 24.21, zlib 1.3.2.1-motley-8002e91) and committed here;
 * they must never be edited to make a change pass: a change of the bytes is a format change.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as zlib from "zlib";
import { GZIP_OS_BYTE, gzipMember, outputBufferBytes } from "../../../packaging/gzipMembers";
import { ArchiveOptions, buildModelArchive } from "../../../packaging/modelArchive";
import { cleanupTempDirs, makeModelDir, seededBytes, sha256File, tempDir } from "../../support/archiveFixtures";
import { goldenModelFiles } from "../../support/goldenArchive";

/** zlib build the expected values were computed with (deflate output may differ on another one). */
const GOLDEN_ZLIB = "1.3.2.1-motley-8002e91";
const GOLDEN: Array<{ what: string; opts: ArchiveOptions; sha256: string; bytes: number }> = [
    { what: "default options (one 4 MiB member)", opts: {},
        sha256: "932a4126bf2bbc8dbe00e11a21f9221dedc471cf02ce8ffcf0bcb4909ab524e8", bytes: 1868801 },
    { what: "256 KiB members: stored, Z_RLE and default-strategy members", opts: { chunkBytes: 262144 },
        sha256: "33582e8c211c07de096ba1f00bf364bfc012d5dce988e825b80a4523de7796ea", bytes: 1914414 },
    { what: "64 KiB members, --strategy default --level 6", opts: { chunkBytes: 65536, strategy: "default", level: 6 },
        sha256: "a1840759875c886cadc3ab6729ed9a6c2ae82d0cbfe26252ea842dba1932ada8", bytes: 1848560 },
    { what: "64 KiB members, level 9, one job", opts: { chunkBytes: 65536, level: 9, jobs: 1 },
        sha256: "e40586974e199098b12bd681b71cdfad79d99acd5d4bc7cdcaca5fec093455bf", bytes: 1833030 },
];

describe("archive bytes pinned to main's packaging code", function () {
    this.timeout(60000);
    after(cleanupTempDirs);

    it("runs on the zlib build the pinned values were computed with", () => {
        assert.equal(process.versions.zlib, GOLDEN_ZLIB, "Node's zlib changed: deflated members may differ; recompute the values with main's code");
    });

    for (const g of GOLDEN) {
        it(`gives main's exact sha256 for the fixed directory with ${g.what}${g.opts.jobs ? "" : ", for one and four jobs"}`, async () => {
            const dir = makeModelDir(goldenModelFiles());
            for (const jobs of g.opts.jobs ? [g.opts.jobs] : [1, 4]) {
                const out = path.join(tempDir("golden-out-"), "model.tar.gz");
                const r = await buildModelArchive(dir, out, { ...g.opts, jobs, cache: false });
                assert.equal(r.sha256, g.sha256, `jobs ${jobs}`);
                assert.equal(r.bytes, g.bytes, `jobs ${jobs}`);
                assert.equal(sha256File(out), g.sha256, `jobs ${jobs}: the file on disk`);
            }
        });
    }

    it("never changes a member's bytes with zlib's output buffer size: probe-sized buffers give main's members", async () => {
        const text = Buffer.from(Array.from({ length: 120_000 }, (_, i) => `token_${(i * 7919) % 10007}: ${i % 977}\n`).join("")).subarray(0, 1 << 20);
        const sparse = Buffer.alloc(1 << 20);
        seededBytes(sparse.length / 16, "sparse").forEach((b, i) => { sparse[i * 16 + (b % 16)] = b; });
        const { Z_DEFAULT_STRATEGY, Z_RLE } = zlib.constants;
        for (const [name, chunk] of [["text", text], ["sparse", sparse]] as const) {
            // main's member: one zlib.gzip call with an output buffer of the whole chunk (+1 KiB)
            const main = zlib.gzipSync(chunk, { level: 1, strategy: name === "sparse" ? Z_RLE : Z_DEFAULT_STRATEGY, memLevel: 9, chunkSize: chunk.length + 1024 });
            main[9] = GZIP_OS_BYTE;
            assert.ok(outputBufferBytes(chunk.length, 0.3) < chunk.length, "the estimate is smaller than main's buffer");
            assert.deepEqual(Buffer.concat(await gzipMember(chunk, 1, "auto")), main, `${name}: gzipMember`);
            for (const level of [1, 6, 9]) {
                for (const strategy of [Z_DEFAULT_STRATEGY, Z_RLE]) {
                    const whole = zlib.gzipSync(chunk, { level, strategy, memLevel: 9, chunkSize: chunk.length + 1024 });
                    const short = zlib.gzipSync(chunk, { level, strategy, memLevel: 9, chunkSize: 64 * 1024 }); // many output buffers
                    assert.ok(whole.length > 64 * 1024, `${name}: the output spans several 64 KiB buffers`);
                    assert.deepEqual(short, whole, `${name} level ${level} strategy ${strategy}`);
                }
            }
        }
    });
});
