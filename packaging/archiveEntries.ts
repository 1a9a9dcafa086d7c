/**
 * Which files of a model directory go into the archive, in which order, with which
 * (normalised) permissions. Pure apart from reading the directory; no archive bytes here.
 */
import * as fs from "fs";
import * as path from "path";

/** Basenames never packed, wherever they appear (files or directories). */
export const IGNORED_NAMES: readonly string[] = ["__pycache__", ".ipynb_checkpoints", ".DS_Store", ".git"];
/** File-name suffixes never packed. */
export const IGNORED_SUFFIXES: readonly string[] = [".pyc"];

/** Mode stored for regular files without any execute bit. */
export const FILE_MODE = 0o644;
/** Mode stored for directories and for files with any execute bit set. */
export const EXEC_MODE = 0o755;

/** True when an entry with this basename is left out of the archive. */
export function isIgnored(name: string): boolean {
    return IGNORED_NAMES.includes(name) || IGNORED_SUFFIXES.some((s) => name.endsWith(s));
}

/** Compares two strings by their UTF-8 bytes (locale independent, like `LC_ALL=C sort`). */
export function compareBytewise(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The stored mode: 0755 for directories and files with any execute bit, else 0644. */
export function normalisedMode(isDir: boolean, statMode: number): number {
    return isDir || (statMode & 0o111) !== 0 ? EXEC_MODE : FILE_MODE;
}

export interface ArchiveEntry {
    /** Posix path inside the archive; directories end with `/`. */
    path: string;
    /** Absolute path on disk. */
    abs: string;
    type: "file" | "dir";
    /** Bytes (0 for directories). */
    size: number;
    /** Normalised mode (see {@link normalisedMode}). */
    mode: number;
    /** Stat fingerprint used by the cache: `size:mtimeNs:ctimeNs:ino:dev:mode`. */
    fingerprint: string;
    /** Change time in nanoseconds, to detect entries changed during a build. */
    ctimeNs: bigint;
    mtimeNs: bigint;
}

function fingerprint(st: fs.BigIntStats): string {
    return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}:${st.mode}`;
}

/** S3 object keys are at most 1024 bytes; a file's key is `<prefix>/<16 hex>/<path>` in uncompressed mode. */
export const S3_KEY_MAX_BYTES = 1024;
/** SageMaker (and most file systems) refuse a path segment over 255 bytes. */
export const NAME_MAX_BYTES = 255;
/** The default artifact prefix's share of a key (`models/` + 16 hex + `/`), when no prefix is known. */
export const DEFAULT_KEY_PREFIX_BYTES = "models/0123456789abcdef/".length;

export interface WalkOptions {
    /** Absolute paths left out (an output file inside the tree, for instance). @default none */
    exclude?: readonly string[];
    /** Bytes of `<prefix>/<id>/` in front of each path in an S3 key. @default DEFAULT_KEY_PREFIX_BYTES */
    keyPrefixBytes?: number;
    /**
     * A directory, already walked and checked, that symbolic links may also point into: a staging folder of
     * links to a model directory's files (the per-model archives of the components topology). @default none
     */
    linkRoot?: string;
}

export interface ModelDirWalk { entries: ArchiveEntry[]; problems: string[] }

/** A file name for messages: invalid UTF-8 bytes shown as \xNN. */
function showName(raw: Buffer): string {
    let out = "";
    for (let i = 0; i < raw.length;) {
        const n = raw[i] < 0x80 ? 1 : raw[i] >= 0xf0 ? 4 : raw[i] >= 0xe0 ? 3 : raw[i] >= 0xc0 ? 2 : 0;
        const piece = n > 0 ? raw.subarray(i, i + n) : Buffer.alloc(0);
        if (n > 0 && Buffer.from(piece.toString("utf8"), "utf8").equals(piece)) {
            out += piece.toString("utf8");
            i += n;
        } else {
            out += `\\x${raw[i].toString(16).padStart(2, "0")}`;
            i++;
        }
    }
    return out;
}

/** True when `child` is `parent` or inside it (both absolute, symlinks already resolved). */
export function isInsideDir(parent: string, child: string): boolean {
    const rel = path.relative(parent, child);
    return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The one walk of a model directory, shared by both model data modes, `npm run package` and `npm start`
 * (through validateModelDir, before anything is packed or declared): every directory and regular file
 * except ignored names, sorted bytewise by posix path (a directory right before its contents). Refused,
 * each as one problem naming the path and the fix: symbolic links that leave the directory, point at a
 * directory or nowhere; sockets, FIFOs and devices; names that are not valid UTF-8; names too long for S3.
 * A symbolic link to a file inside the directory is packed as that file.
 */
export function walkModelDir(dir: string, opts: WalkOptions = {}): ModelDirWalk {
    const root = path.resolve(dir);
    const excluded = new Set((opts.exclude ?? []).map((p) => path.resolve(p)));
    const maxPathBytes = S3_KEY_MAX_BYTES - (opts.keyPrefixBytes ?? DEFAULT_KEY_PREFIX_BYTES);
    const entries: ArchiveEntry[] = [];
    const problems: string[] = [];
    let realRoot: string;
    let realLinkRoot: string | undefined;
    try {
        if (opts.linkRoot !== undefined) realLinkRoot = fs.realpathSync(opts.linkRoot);
        const st = fs.statSync(root);
        if (!st.isDirectory()) return { entries, problems: [`${dir}: not a directory; pass the model directory`] };
        realRoot = fs.realpathSync(root);
    } catch {
        return { entries, problems: [`${dir}: model directory does not exist; pass an existing directory`] };
    }
    const walk = (absDir: string, relDir: string): void => {
        for (const raw of fs.readdirSync(absDir, { encoding: "buffer" })) {
            const name = raw.toString("utf8");
            if (!Buffer.from(name, "utf8").equals(raw)) {
                problems.push(`${path.join(absDir, showName(raw))}: the file name is not valid UTF-8, which S3 keys and models.json need; rename it`);
                continue;
            }
            if (isIgnored(name)) continue;
            const abs = path.join(absDir, name);
            if (excluded.has(abs)) continue;
            const rel = relDir === "" ? name : `${relDir}/${name}`;
            if (raw.length > NAME_MAX_BYTES) {
                problems.push(`${abs}: the name is ${raw.length} bytes long; SageMaker accepts at most ${NAME_MAX_BYTES} bytes per name, shorten it`);
                continue;
            }
            if (Buffer.byteLength(rel) > maxPathBytes) {
                problems.push(`${abs}: the path inside the model directory is ${Buffer.byteLength(rel)} bytes long; with the key prefix an S3 key ` +
                    `would exceed ${S3_KEY_MAX_BYTES} bytes (at most ${maxPathBytes} here), shorten it`);
                continue;
            }
            let st = fs.lstatSync(abs, { bigint: true });
            if (st.isSymbolicLink()) {
                let target: string;
                try {
                    target = fs.realpathSync(abs);
                    st = fs.statSync(target, { bigint: true });
                } catch {
                    problems.push(`${abs}: broken symbolic link; remove it or point it at a file`);
                    continue;
                }
                if (!isInsideDir(realRoot, target) && !(realLinkRoot !== undefined && isInsideDir(realLinkRoot, target))) {
                    problems.push(`${abs}: symbolic link to ${target}, outside the model directory, would be packed and uploaded; copy the file in instead`);
                    continue;
                }
                if (st.isDirectory()) {
                    problems.push(`${abs}: symbolic link to a directory is not packed; copy the directory instead`);
                    continue;
                }
            }
            if (st.isDirectory()) {
                entries.push({ path: `${rel}/`, abs, type: "dir", size: 0, mode: EXEC_MODE,
                    fingerprint: fingerprint(st), ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs });
                walk(abs, rel);
            } else if (st.isFile()) {
                entries.push({ path: rel, abs, type: "file", size: Number(st.size),
                    mode: normalisedMode(false, Number(st.mode)), fingerprint: fingerprint(st),
                    ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs });
            } else {
                problems.push(`${abs}: not a regular file or directory (socket, FIFO or device); remove it from the model directory`);
            }
        }
    };
    walk(root, "");
    return { entries: entries.sort((a, b) => compareBytewise(a.path, b.path)), problems };
}

/** {@link walkModelDir}'s entries; throws one Error listing every problem. */
export function listArchiveEntries(dir: string, exclude: readonly string[] = [], linkRoot?: string): ArchiveEntry[] {
    const { entries, problems } = walkModelDir(dir, { exclude, linkRoot });
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return entries;
}
