import { strict as assert } from "assert";
import { entryHeader, headerBytes, HeaderFields, isPlainEntry, tarPackageHeader, writeUstarHeader } from "../../../packaging/tarStream";

/** Reproducible pseudo-random integers (xorshift32). */
function ints(seed: number): (below: number) => number {
    let x = seed;
    return (below) => {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        return x % below;
    };
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+ ~=,@";

/** `count` plain entries: ASCII paths of 1-99 bytes (some with folders), files and directories, many sizes and modes. */
function plainEntries(count: number): HeaderFields[] {
    const r = ints(7);
    const sizes = [0, 1, 511, 512, 513, 4096, 65535, 1048576, 2 ** 30 - 1, 2 ** 30, 2 ** 33 - 1];
    return Array.from({ length: count }, (_, i) => {
        const dir = i % 5 === 0;
        let path = Array.from({ length: 1 + r(dir ? 98 : 99) }, (__, k) => (k > 0 && r(9) === 0 ? "/" : NAME_CHARS[r(NAME_CHARS.length)])).join("");
        if (dir) path = `${path}/`;
        const size = dir ? 0 : i < sizes.length * 5 ? sizes[i % sizes.length] : r(2 ** 31);
        return { path, type: dir ? "dir" : "file", size, mode: [0o644, 0o755, 0o600, 0o7777, 0][r(5)] };
    });
}

describe("ustar headers written without the tar package", () => {
    it("gives the tar package's exact 512 bytes for 3,000 plain entries (paths of 1-99 ASCII bytes, files and folders, sizes up to 8 GiB - 1)", () => {
        const entries = plainEntries(3000);
        assert.ok(entries.some((e) => e.path.length === 99) && entries.some((e) => e.size === 2 ** 33 - 1));
        for (const e of entries) {
            assert.ok(isPlainEntry(e), e.path);
            assert.deepEqual(entryHeader(e), tarPackageHeader(e), JSON.stringify(e));
        }
    });

    it("writes a plain header at any offset of a larger buffer without touching the bytes around it", () => {
        const e: HeaderFields = { path: "models/fashion/model.pt", type: "file", size: 123456, mode: 0o644 };
        const buf = Buffer.alloc(2048, 0xab);
        writeUstarHeader(buf, 700, e);
        assert.deepEqual(buf.subarray(700, 1212), tarPackageHeader(e));
        assert.ok(buf.subarray(0, 700).every((b) => b === 0xab) && buf.subarray(1212).every((b) => b === 0xab));
    });

    it("leaves long, non-ASCII and over-8-GiB entries to the tar package (split prefix or pax record)", () => {
        const cases: HeaderFields[] = [
            { path: `${"d".repeat(60)}/${"f".repeat(39)}`, type: "file", size: 10, mode: 0o644 }, // 100 bytes: split into prefix + name
            { path: `${"d".repeat(120)}/${"e".repeat(90)}/`, type: "dir", size: 0, mode: 0o755 },
            { path: `${"x".repeat(300)}.bin`, type: "file", size: 1, mode: 0o644 }, // pax record
            { path: "données/modèle.pt", type: "file", size: 5, mode: 0o644 }, // non-ASCII: pax record
            { path: "huge.bin", type: "file", size: 2 ** 33, mode: 0o644 }, // size beyond 11 octal digits
        ];
        for (const e of cases) {
            assert.equal(isPlainEntry(e), false, e.path);
            assert.deepEqual(entryHeader(e), tarPackageHeader(e), e.path);
            assert.equal(headerBytes(e), tarPackageHeader(e).length, e.path);
        }
        assert.ok(headerBytes(cases[2]) > 512 && headerBytes(cases[3]) > 512, "pax records add blocks");
    });
});
