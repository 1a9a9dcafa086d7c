/**
 * The uncompressed tar stream of a model directory, cut into chunks of exactly `chunkBytes` (the last
 * one shorter): ustar headers (the npm `tar` package's bytes, plain ones written in place, see below),
 * file data read straight into pooled chunk buffers, padding, two zero blocks. Small files are read
 * with synchronous calls (one open, read, fstat and close each, no thread-pool round trips: a directory
 * of thousands of small files is bound by per-file overhead); larger files with asynchronous reads, so
 * the main thread works meanwhile.
 */
import * as fs from "fs";
import type * as Tar from "tar";
import type { ArchiveEntry } from "./archiveEntries";

/*
 * Header blocks. The npm `tar` package's `Header`/`Pax` define the bytes; for the common entry
 * (an ASCII path under 100 bytes, a size under 8 GiB) this file writes the very same 512-byte ustar
 * block directly: a fixed template (uid/gid 0, mtime, magic, empty owner names, device 0) plus the path, mode,
 * size, type and checksum. That is about ten times cheaper than `Header.encode`, which matters for a directory
 * of thousands of small files; every other entry (long or non-ASCII path: split prefix or pax record) goes
 * through the `tar` package, loaded only then. tests/unit/packaging/ustarHeader.spec.ts compares both
 * encodings byte for byte.
 */

/** mtime stored for every entry: 1980-01-01T00:00:00Z (also valid for zip tools). */
export const ARCHIVE_MTIME = new Date(Date.UTC(1980, 0, 1));

/** What a header says about an entry. */
export interface HeaderFields {
    /** Posix path inside the archive; directories end with `/`. */
    path: string;
    type: "file" | "dir";
    size: number;
    mode: number;
}

export const BLOCK = 512;
/** ustar's name field holds a path of at most 99 bytes unsplit (the `tar` package splits from 100 on). */
const NAME_BYTES = 100;
/** Largest value of a 12-byte octal field (the `tar` package writes a pax record above it). */
const MAX_SIZE = 0o77777777777;
/** Largest value of an 8-byte octal field. */
const MAX_MODE = 0o7777777;

/** `n` in octal as the `tar` package writes it: zero-padded digits, a space and a NUL (or digits and a NUL when they fill the field). */
function writeOctal(block: Buffer, offset: number, size: number, n: number): void {
    const digits = n.toString(8);
    const text = digits.length === size - 1 ? `${digits}\0` : `${"0".repeat(size - digits.length - 2)}${digits} \0`;
    block.write(text, offset, size, "latin1");
}

/** Every byte of a header block that does not depend on the entry (path, mode, size, type and checksum left zero). */
const TEMPLATE = ((): Buffer => {
    const b = Buffer.alloc(BLOCK);
    writeOctal(b, 108, 8, 0); // uid
    writeOctal(b, 116, 8, 0); // gid
    writeOctal(b, 136, 12, ARCHIVE_MTIME.getTime() / 1000);
    b.write("ustar\u000000", 257, 8, "latin1"); // magic and version
    writeOctal(b, 329, 8, 0); // devmajor
    writeOctal(b, 337, 8, 0); // devminor
    return b;
})();

/** True when {@link writeUstarHeader} writes this entry (ASCII path under 100 bytes, size and mode in range). */
export function isPlainEntry(entry: HeaderFields): boolean {
    const p = entry.path;
    if (p.length >= NAME_BYTES || !Number.isInteger(entry.size) || entry.size < 0 || entry.size > MAX_SIZE) return false;
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > MAX_MODE) return false;
    for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) >= 0x80) return false;
    return true;
}

/** Writes a plain entry's ({@link isPlainEntry}) 512-byte header at `block[offset]`: the `tar` package's bytes. */
export function writeUstarHeader(block: Buffer, offset: number, entry: HeaderFields): void {
    TEMPLATE.copy(block, offset);
    block.write(entry.path, offset, NAME_BYTES, "latin1");
    writeOctal(block, offset + 100, 8, entry.mode);
    writeOctal(block, offset + 124, 12, entry.size);
    block[offset + 156] = entry.type === "dir" ? 0x35 : 0x30; // '5' directory, '0' file
    let sum = 8 * 0x20; // the checksum field counts as spaces
    for (let i = offset; i < offset + 148; i++) sum += block[i];
    for (let i = offset + 156; i < offset + BLOCK; i++) sum += block[i];
    writeOctal(block, offset + 148, 8, sum);
}

/** The header block(s) as the `tar` package encodes them: a pax record only when ustar cannot hold the path. */
export function tarPackageHeader(entry: HeaderFields): Buffer {
    const { Header, Pax } = require("tar") as typeof Tar; // loaded only for entries that need it
    const header = new Header({
        path: entry.path, mode: entry.mode, uid: 0, gid: 0, size: entry.size, mtime: ARCHIVE_MTIME,
        type: entry.type === "dir" ? "Directory" : "File", uname: "", gname: "", devmaj: 0, devmin: 0,
    });
    header.encode();
    const block = header.block!;
    if (!header.needPax) return block;
    const pax = new Pax({ path: entry.path, mtime: ARCHIVE_MTIME, uid: 0, gid: 0, size: entry.size }).encode();
    return Buffer.concat([pax, block]);
}

/** The header block(s) of one entry (see the file comment). */
export function entryHeader(entry: HeaderFields): Buffer {
    if (!isPlainEntry(entry)) return tarPackageHeader(entry);
    const block = Buffer.allocUnsafe(BLOCK);
    writeUstarHeader(block, 0, entry);
    return block;
}

/** Bytes of one entry's header block(s), without encoding plain ones. */
export function headerBytes(entry: HeaderFields): number {
    return isPlainEntry(entry) ? BLOCK : tarPackageHeader(entry).length;
}

/** Files up to this size are read synchronously (see the file comment). */
export const SYNC_READ_BYTES = 1024 * 1024;
/** Bytes read from a large file at a time (at most; never past the current chunk). */
const READ_BYTES = 4 * 1024 * 1024;

function readAsync(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    return new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Size of the uncompressed tar stream for these entries. */
export function tarSize(entries: readonly ArchiveEntry[]): number {
    let total = 1024;
    for (const e of entries) total += headerBytes(e) + Math.ceil(e.size / 512) * 512;
    return total;
}

/**
 * A bounded set of reusable chunk buffers (allocated on first use, at most `count`): the reader waits for
 * a free one, so memory stays at `count * chunkBytes` and no chunk is garbage to collect. After `close()`
 * every waiting and later `acquire` fails (a failed build stops its reader).
 */
export class ChunkPool {
    private readonly free: Buffer[] = [];
    private readonly lent = new Set<ArrayBufferLike>();
    private readonly waiting: Array<{ resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
    private allocated = 0;
    private closed = false;

    constructor(readonly chunkBytes: number, readonly count: number) {}

    acquire(): Promise<Buffer> {
        if (this.closed) return Promise.reject(new Error("packaging stopped"));
        let buf = this.free.pop();
        if (!buf && this.allocated < this.count) {
            buf = Buffer.from(new SharedArrayBuffer(this.chunkBytes)); // shared: the sha256 thread reads it without a copy
            this.allocated++;
        }
        if (buf) {
            this.lent.add(buf.buffer);
            return Promise.resolve(buf);
        }
        return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    }

    /** Gives back the buffer `chunk` is a view of (a buffer not lent by this pool is ignored). */
    release(chunk: Buffer): void {
        if (!this.lent.delete(chunk.buffer)) return;
        const buf = Buffer.from(chunk.buffer, 0, this.chunkBytes);
        const next = this.waiting.shift();
        if (next) {
            this.lent.add(buf.buffer);
            next.resolve(buf);
        } else this.free.push(buf);
    }

    close(): void {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w.reject(new Error("packaging stopped"));
    }
}

function shrank(entry: ArchiveEntry): Error {
    return new Error(`${entry.abs}: file shrank while packaging (expected ${entry.size} bytes); retry when nothing writes to the model directory`);
}

/**
 * Writes the tar stream of `entries` into chunks taken from `pool`, handing each full chunk (exactly
 * `pool.chunkBytes`) and the last, shorter one to `emit` in order; `emit`'s receiver releases them. A file
 * whose size differs from the listed one fails, naming it. Resolves when the stream is complete.
 */
export async function produceTarChunks(entries: readonly ArchiveEntry[], pool: ChunkPool, emit: (chunk: Buffer) => void): Promise<void> {
    const size = pool.chunkBytes;
    let buf = await pool.acquire();
    let pos = 0;
    const advance = async (n: number): Promise<void> => {
        pos += n;
        if (pos === size) {
            emit(buf);
            await new Promise(setImmediate); // let finished compressions be taken up before reading on (sync reads hold the event loop)
            buf = await pool.acquire();
            pos = 0;
        }
    };
    const put = async (data: Buffer): Promise<void> => {
        for (let off = 0; off < data.length;) {
            const n = Math.min(data.length - off, size - pos);
            data.copy(buf, pos, off, off + n);
            off += n;
            await advance(n);
        }
    };
    const zeros = async (count: number): Promise<void> => {
        while (count > 0) {
            const n = Math.min(count, size - pos);
            buf.fill(0, pos, pos + n);
            count -= n;
            await advance(n);
        }
    };
    for (const entry of entries) {
        if (pos + BLOCK <= size && isPlainEntry(entry)) { // the header written in place (no block to copy)
            writeUstarHeader(buf, pos, entry);
            await advance(BLOCK);
        } else await put(entryHeader(entry));
        if (entry.type !== "file" || entry.size === 0) continue;
        const sync = entry.size <= SYNC_READ_BYTES;
        const fd = fs.openSync(entry.abs, "r");
        try {
            for (let done = 0; done < entry.size;) {
                const want = Math.min(entry.size - done, size - pos, READ_BYTES);
                const got = sync ? fs.readSync(fd, buf, pos, want, done) : await readAsync(fd, buf, pos, want, done);
                if (got === 0) throw shrank(entry);
                done += got;
                await advance(got);
            }
            const now = fs.fstatSync(fd).size;
            if (now !== entry.size) {
                throw new Error(`${entry.abs}: file changed size while packaging (${entry.size} -> ${now} bytes); retry when nothing writes to the model directory`);
            }
        } finally {
            fs.closeSync(fd);
        }
        await zeros((512 - (entry.size % 512)) % 512);
    }
    await zeros(1024);
    if (pos > 0) emit(buf.subarray(0, pos));
    else pool.release(buf);
}
