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

/**
 * Lists what `buildModelArchive` packs: every directory and regular file under `dir`
 * except ignored names, sorted bytewise by posix path (a directory comes right before
 * its contents). Symbolic links to files are packed as the file they point to;
 * symbolic links to directories, sockets, FIFOs and devices are errors.
 * Throws one Error listing every problem.
 */
export function listArchiveEntries(dir: string, exclude: readonly string[] = []): ArchiveEntry[] {
    const root = path.resolve(dir);
    const excluded = new Set(exclude.map((p) => path.resolve(p)));
    const entries: ArchiveEntry[] = [];
    const problems: string[] = [];
    const walk = (absDir: string, relDir: string): void => {
        for (const name of fs.readdirSync(absDir)) {
            if (isIgnored(name)) continue;
            const abs = path.join(absDir, name);
            if (excluded.has(abs)) continue;
            const rel = relDir === "" ? name : `${relDir}/${name}`;
            let st = fs.lstatSync(abs, { bigint: true });
            if (st.isSymbolicLink()) {
                try {
                    st = fs.statSync(abs, { bigint: true });
                } catch {
                    problems.push(`${abs}: broken symbolic link; remove it or point it at a file`);
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
    let rootStat: fs.Stats;
    try {
        rootStat = fs.statSync(root);
    } catch {
        throw new Error(`${dir}: model directory does not exist; pass an existing directory`);
    }
    if (!rootStat.isDirectory()) throw new Error(`${dir}: not a directory; pass the model directory`);
    walk(root, "");
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return entries.sort((a, b) => compareBytewise(a.path, b.path));
}
