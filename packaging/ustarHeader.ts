/**
 * The archive's tar header blocks. The npm `tar` package's `Header`/`Pax` define the bytes; for the common
 * entry (an ASCII path under 100 bytes, a size under 8 GiB) this file writes the very same 512-byte ustar
 * block directly: a fixed template (uid/gid 0, mtime, magic, empty owner names, device 0) plus the path, mode,
 * size, type and checksum. That is about ten times cheaper than `Header.encode`, which matters for a directory
 * of thousands of small files; every other entry (long or non-ASCII path: split prefix or pax record) goes
 * through the `tar` package, loaded only then. tests/unit/packaging/ustarHeader.spec.ts compares both
 * encodings byte for byte.
 */
import type * as Tar from "tar";

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
