import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { compareBytewise, isIgnored, listArchiveEntries, normalisedMode } from "../../../packaging/archiveEntries";
import * as zlib from "zlib";
import { chooseDeflate, GZIP_OS_BYTE, storedMember } from "../../../packaging/gzipMembers";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { ARCHIVE_MTIME } from "../../../packaging/tarStream";
import {
    cleanupTempDirs, makeModelDir, seededBytes, sha256File, tempDir, treeDigest, validModelFiles, writeFiles,
} from "../../support/archiveFixtures";

const PY = "/usr/bin/python3";
const PY_LIST = [
    "import json, sys, tarfile",
    "with tarfile.open(sys.argv[1]) as t:",
    "    print(json.dumps([[m.name, m.type.decode(), m.mode, m.uid, m.gid, m.uname, m.gname, int(m.mtime), m.size] for m in t.getmembers()]))",
].join("\n");
const PY_EXTRACT = "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    t.extractall(sys.argv[2])";

/** Extracts `archive` with GNU tar and with Python's tarfile; each must give exactly `dir`'s files. */
function assertBothExtract(archive: string, dir: string, message?: string): void {
    const gnu = tempDir("extract-gnu-");
    execFileSync("tar", ["-xzf", archive, "-C", gnu]);
    assert.deepEqual(treeDigest(gnu), treeDigest(dir), message);
    const py = tempDir("extract-py-");
    execFileSync(PY, ["-c", PY_EXTRACT, archive, py]);
    assert.deepEqual(treeDigest(py), treeDigest(dir), message);
}

/** Count of gzip members: re-inflates member by member with Python's zlib. */
const PY_MEMBERS = [
    "import sys, zlib",
    "data = open(sys.argv[1], 'rb').read(); n = 0",
    "while data:",
    "    d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; n += 1",
    "print(n)",
].join("\n");

function outPath(name = "model.tar.gz"): string {
    return path.join(tempDir("archive-out-"), name);
}

describe("modelArchive", function () {
    after(cleanupTempDirs);

    it("packs the model directory's layout at the archive root and reports the files in archive order", async () => {
        const dir = makeModelDir();
        const out = outPath();
        const r = await buildModelArchive(dir, out);
        assert.deepEqual(r.files, ["code/inference.py", "code/requirements.txt", "fashion/model.pt", "models.json", "sentiment/model.joblib"]);
        assert.equal(r.sha256, sha256File(out));
        assert.equal(r.bytes, fs.statSync(out).size);
        const listed = execFileSync("tar", ["-tzf", out], { encoding: "utf8" }).trim().split("\n");
        assert.deepEqual(listed, ["code/", "code/inference.py", "code/requirements.txt", "fashion/", "fashion/model.pt",
            "models.json", "sentiment/", "sentiment/model.joblib"]);
    });

    it("gives identical bytes after touching mtimes and recreating the files in another order", async () => {
        const files = validModelFiles();
        const a = makeModelDir(files);
        const b = makeModelDir(files, Object.keys(files).reverse());
        const old = new Date("2001-02-03T04:05:06Z");
        for (const rel of Object.keys(files)) fs.utimesSync(path.join(b, rel), old, old);
        fs.utimesSync(path.join(b, "code"), old, old);
        const ra = await buildModelArchive(a, outPath());
        const rb = await buildModelArchive(b, outPath());
        assert.equal(rb.sha256, ra.sha256);
        assert.equal(rb.bytes, ra.bytes);
    });

    it("gives identical bytes when only non-execute permission bits differ, and stores an execute bit as 0755", async () => {
        const files = validModelFiles();
        const a = makeModelDir(files);
        const b = makeModelDir(files);
        fs.chmodSync(path.join(b, "models.json"), 0o600);
        fs.chmodSync(path.join(b, "code/requirements.txt"), 0o664);
        fs.chmodSync(path.join(b, "fashion"), 0o700);
        const ra = await buildModelArchive(a, outPath());
        const rb = await buildModelArchive(b, outPath());
        assert.equal(rb.sha256, ra.sha256);
        fs.chmodSync(path.join(b, "code/inference.py"), 0o744);
        const out = outPath();
        const rc = await buildModelArchive(b, out);
        assert.notEqual(rc.sha256, ra.sha256);
        const members = JSON.parse(execFileSync(PY, ["-c", PY_LIST, out], { encoding: "utf8" })) as unknown[][];
        assert.equal(members.find((m) => m[0] === "code/inference.py")![2], 0o755);
    });

    it("writes portable headers: uid/gid 0, no owner names, the fixed mtime, 0644 files and 0755 directories", async () => {
        const out = outPath();
        await buildModelArchive(makeModelDir(), out);
        const members = JSON.parse(execFileSync(PY, ["-c", PY_LIST, out], { encoding: "utf8" })) as unknown[][];
        assert.equal(members.length, 8);
        for (const [name, type, mode, uid, gid, uname, gname, mtime] of members) {
            assert.deepEqual([uid, gid, uname, gname, mtime], [0, 0, "", "", ARCHIVE_MTIME.getTime() / 1000], String(name));
            assert.equal(mode, type === "5" ? 0o755 : 0o644, String(name));
        }
    });

    it("writes gzip headers without a name, with mtime 0 and a fixed OS byte", async () => {
        const out = outPath();
        await buildModelArchive(makeModelDir(), out);
        const head = fs.readFileSync(out).subarray(0, 10);
        assert.deepEqual([...head.subarray(0, 4)], [0x1f, 0x8b, 8, 0], "magic, deflate, no FNAME/FEXTRA/FCOMMENT flags");
        assert.equal(head.readUInt32LE(4), 0, "gzip mtime");
        assert.equal(head[9], GZIP_OS_BYTE);
    });

    it("leaves out __pycache__, *.pyc, .ipynb_checkpoints, .DS_Store and .git wherever they are", async () => {
        const files = {
            ...validModelFiles(),
            "code/__pycache__/inference.cpython-310.pyc": "x", "code/helper.pyc": "x", "code/helper.py": "y = 1\n",
            ".ipynb_checkpoints/n.ipynb": "{}", "fashion/.DS_Store": "x", ".git/HEAD": "ref", "sentiment/.git": "gitdir: x",
        };
        const r = await buildModelArchive(makeModelDir(files), outPath());
        assert.deepEqual(r.files, ["code/helper.py", "code/inference.py", "code/requirements.txt", "fashion/model.pt",
            "models.json", "sentiment/model.joblib"]);
        assert.equal(isIgnored("x.pyc"), true);
        assert.equal(isIgnored("x.py"), false);
    });

    it("is extracted by GNU tar -xzf to the model directory's exact files", async () => {
        const dir = makeModelDir();
        const out = outPath();
        await buildModelArchive(dir, out);
        const dest = tempDir("extract-gnu-");
        execFileSync("tar", ["-xzf", out, "-C", dest]);
        assert.deepEqual(treeDigest(dest), treeDigest(dir));
    });

    it("is extracted by Python's tarfile to the model directory's exact files", async () => {
        const dir = makeModelDir();
        const out = outPath();
        await buildModelArchive(dir, out);
        const dest = tempDir("extract-py-");
        execFileSync(PY, ["-c", PY_EXTRACT, out, dest]);
        assert.deepEqual(treeDigest(dest), treeDigest(dir));
    });

    it("writes several gzip members for large input, the same bytes for any number of jobs, readable by GNU tar and Python", async () => {
        const files = { ...validModelFiles(), "big/weights.bin": seededBytes(700_000, "big") };
        const dir = makeModelDir(files);
        const one = outPath();
        const four = outPath();
        const r1 = await buildModelArchive(dir, one, { chunkBytes: 65536, jobs: 1 });
        const r4 = await buildModelArchive(dir, four, { chunkBytes: 65536, jobs: 4 });
        assert.equal(r4.sha256, r1.sha256);
        const members = Number(execFileSync(PY, ["-c", PY_MEMBERS, one], { encoding: "utf8" }).trim());
        assert.equal(members, Math.ceil(r1.tarBytes / 65536));
        assertBothExtract(one, dir);
    });

    it("round-trips paths longer than 100 bytes and non-ASCII names through GNU tar and Python", async () => {
        const long = `${"d".repeat(90)}/${"e".repeat(90)}/${"f".repeat(120)}.bin`;
        const files = { ...validModelFiles(), [long]: "long", "labels-ünïcode.txt": "ü" };
        const dir = makeModelDir(files);
        const out = outPath();
        const r = await buildModelArchive(dir, out);
        assert.ok(r.files.includes(long));
        assertBothExtract(out, dir);
    });

    it("packs a symbolic link to a file as a regular file with the target's content", async () => {
        const dir = makeModelDir();
        fs.symlinkSync("model.pt", path.join(dir, "fashion/latest.pt"));
        const out = outPath();
        const r = await buildModelArchive(dir, out);
        assert.ok(r.files.includes("fashion/latest.pt"));
        const dest = tempDir("extract-gnu-");
        execFileSync("tar", ["-xzf", out, "-C", dest]);
        assert.equal(fs.lstatSync(path.join(dest, "fashion/latest.pt")).isFile(), true);
        assert.equal(sha256File(path.join(dest, "fashion/latest.pt")), sha256File(path.join(dir, "fashion/model.pt")));
    });

    it("refuses a symbolic link to a directory, naming it", async () => {
        const dir = makeModelDir();
        fs.symlinkSync("fashion", path.join(dir, "alias"));
        await assert.rejects(buildModelArchive(dir, outPath()),
            { message: `${path.join(dir, "alias")}: symbolic link to a directory is not packed; copy the directory instead` });
    });

    it("refuses a missing model directory, naming it", async () => {
        const missing = path.join(tempDir(), "nope");
        await assert.rejects(buildModelArchive(missing, outPath()),
            { message: `${missing}: model directory does not exist; pass an existing directory` });
    });

    it("refuses an output file inside the model directory", async () => {
        const dir = makeModelDir();
        const out = path.join(dir, "model.tar.gz");
        await assert.rejects(buildModelArchive(dir, out), {
            message: `${out}: the archive must be written outside the model directory ${dir} (it resolves to ${fs.realpathSync(dir)}/model.tar.gz, ` +
                `inside ${fs.realpathSync(dir)}), or it would pack itself; choose another --out path`,
        });
        assert.equal(fs.existsSync(out), false);
    });

    it("rejects out-of-range options, listing each", async () => {
        await assert.rejects(buildModelArchive(makeModelDir(), outPath(), { level: 10, chunkBytes: 10, jobs: 0 }), {
            message: "buildModelArchive: level must be an integer from 0 to 9 (got 10); "
                + "chunkBytes must be an integer from 65536 to 268435456 (got 10); jobs must be an integer from 1 to 64 (got 0)",
        });
    });

    it("keeps the previous archive and leaves no temporary file when a build fails half-way", async () => {
        const dir = makeModelDir({ ...validModelFiles(), "big/weights.bin": seededBytes(300_000, "w") });
        const out = outPath();
        fs.writeFileSync(out, "previous archive");
        await assert.rejects(buildModelArchive(dir, out, {
            chunkBytes: 65536, onProgress: () => { throw new Error("interrupted"); },
        }), { message: "interrupted" });
        assert.equal(fs.readFileSync(out, "utf8"), "previous archive");
        assert.deepEqual(fs.readdirSync(path.dirname(out)), ["model.tar.gz"]);
    });

    it("reports progress up to the full uncompressed size", async () => {
        const seen: number[] = [];
        const r = await buildModelArchive(makeModelDir(), outPath(), { chunkBytes: 65536, onProgress: (p) => seen.push(p.bytesDone) });
        assert.ok(seen.length > 1);
        assert.deepEqual([...seen].sort((x, y) => x - y), seen);
        assert.equal(seen[seen.length - 1], r.tarBytes);
    });

    it("sorts bytewise, puts each directory before its contents and normalises modes", () => {
        const dir = writeFiles(tempDir(), { "b/x": "1", "a.txt": "2", "a/z": "3", "B": "4", "a-b/y": "5" });
        assert.deepEqual(listArchiveEntries(dir).map((e) => e.path), ["B", "a-b/", "a-b/y", "a.txt", "a/", "a/z", "b/", "b/x"]);
        assert.ok(compareBytewise("Z", "a") < 0);
        assert.deepEqual([normalisedMode(false, 0o600), normalisedMode(false, 0o100), normalisedMode(true, 0o700)], [0o644, 0o755, 0o755]);
    });

    it("stores random and float-weight chunks, uses Z_RLE for sparse weights and the default strategy for text", () => {
        const { Z_RLE, Z_DEFAULT_STRATEGY } = zlib.constants;
        const floats = Buffer.from(new Float32Array(Array.from({ length: 65536 }, (_, i) => Math.sin(i * 12.9898) * 0.02)).buffer);
        // pruned weights: every other block of 64 floats is zero
        const sparse = Buffer.from(new Float32Array(Array.from({ length: 65536 }, (_, i) => (Math.floor(i / 64) % 2 ? Math.sin(i * 12.9898) * 0.02 : 0))).buffer);
        const text = Buffer.from("label,score\nT-shirt,0.25\nTrouser,0.5\n".repeat(8000));
        const random = seededBytes(262144, "r");
        const store = { level: 0, strategy: Z_DEFAULT_STRATEGY };
        assert.deepEqual(chooseDeflate(random, 1, "auto"), store);
        assert.deepEqual(chooseDeflate(floats, 1, "auto"), store);
        assert.deepEqual(chooseDeflate(sparse, 1, "auto"), { level: 1, strategy: Z_RLE });
        assert.deepEqual(chooseDeflate(text, 1, "auto"), { level: 1, strategy: Z_DEFAULT_STRATEGY });
        assert.deepEqual(chooseDeflate(text, 6, "auto"), { level: 6, strategy: Z_DEFAULT_STRATEGY });
        assert.deepEqual(chooseDeflate(random, 1, "default"), { level: 1, strategy: Z_DEFAULT_STRATEGY });
        assert.deepEqual(chooseDeflate(random.subarray(0, 65536), 1, "auto"), { level: 1, strategy: Z_DEFAULT_STRATEGY }, "small chunk: no probe");
    });

    it("extracts the same files whichever strategy compressed them", async () => {
        const files = { ...validModelFiles(), "big/weights.bin": seededBytes(600_000, "w"), "big/vocab.txt": "token\n".repeat(50_000) };
        const dir = makeModelDir(files);
        for (const strategy of ["auto", "default"] as const) {
            const out = outPath();
            await buildModelArchive(dir, out, { strategy, chunkBytes: 262144 });
            assertBothExtract(out, dir, strategy);
        }
    });

    it("builds stored gzip members that gunzip to the chunk, for any length around the 65535-byte block limit", () => {
        for (const n of [0, 1, 65535, 65536, 131070, 300_001]) {
            const chunk = seededBytes(n, `s${n}`);
            const member = Buffer.concat(storedMember(chunk));
            assert.deepEqual(zlib.gunzipSync(member), chunk, `length ${n}`);
            assert.deepEqual([...member.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, GZIP_OS_BYTE]);
            assert.equal(member.length, 10 + 5 * Math.max(1, Math.ceil(n / 65535)) + n + 8);
        }
    });

    for (const [what, edit, message] of [
        ["shrinks", (f: string) => fs.truncateSync(f, 1000), (f: string) => `${f}: file shrank while packaging (expected 200000 bytes); retry when nothing writes to the model directory`],
        ["grows", (f: string) => fs.appendFileSync(f, "0123456789"), (f: string) => `${f}: file changed size while packaging (200000 -> 200010 bytes); retry when nothing writes to the model directory`],
    ] as const) {
        it(`fails naming the file when a file ${what} while it is packed, keeping no partial archive`, async () => {
            const dir = makeModelDir({ ...validModelFiles(), "z/a.bin": seededBytes(200_000, "a"), "z/b.bin": seededBytes(200_000, "b") });
            const victim = path.join(dir, "z/b.bin");
            const out = outPath();
            let edited = false;
            await assert.rejects(buildModelArchive(dir, out, {
                chunkBytes: 65536, jobs: 1, cache: false,
                onProgress: () => { if (!edited) { edited = true; edit(victim); } },
            }), { message: message(victim) });
            assert.deepEqual(fs.readdirSync(path.dirname(out)), []);
        });
    }
});
