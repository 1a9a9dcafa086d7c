/**
 * The local endpoint's temporary folders (`<tmp>/gpu-mme-local-XXXXXX`: model.tar.gz and the extracted
 * ml/model). Each holds `owner.json`: the pid and start time of the process that made it, and the model
 * server's process group once started. A start removes the folders whose owner is gone (a `npm start`
 * killed with SIGKILL cannot clean up) and kills their model server's process group when it outlived them.
 * A folder without owner.json (being created right now, or made by another version) is never touched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const WORK_DIR_PREFIX = "gpu-mme-local-";
export const OWNER_FILE = "owner.json";

export interface Owner {
    pid: number;
    /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is not mistaken for the owner. */
    startTicks: number | null;
    /** Process group of the model server, once started. */
    modelServerPgid?: number;
}

/** Start time of a process in clock ticks since boot, or null when it does not exist (or /proc is unavailable). */
export function processStartTicks(pid: number): number | null {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[19]);
    } catch {
        return null;
    }
}

/** True while the process that wrote `owner` runs (same pid AND same start time). */
export function ownerAlive(owner: Owner): boolean {
    const ticks = processStartTicks(owner.pid);
    if (ticks === null) {
        try { process.kill(owner.pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
        return owner.startTicks === null; // no /proc: trust the pid
    }
    return owner.startTicks === null || ticks === owner.startTicks;
}

/** Creates a fresh work folder owned by this process. */
export function createWorkDir(tmp = os.tmpdir()): string {
    const dir = fs.mkdtempSync(path.join(tmp, WORK_DIR_PREFIX));
    writeOwner(dir, { pid: process.pid, startTicks: processStartTicks(process.pid) });
    return dir;
}

function writeOwner(dir: string, owner: Owner): void {
    fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(owner));
}

function readOwner(dir: string): Owner | undefined {
    try {
        const o = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as Owner;
        return Number.isInteger(o.pid) && o.pid > 0 ? o : undefined;
    } catch {
        return undefined;
    }
}

/** Records the model server's process group in the folder's owner.json. */
export function recordModelServer(dir: string, pgid: number): void {
    const owner = readOwner(dir);
    if (owner) writeOwner(dir, { ...owner, modelServerPgid: pgid });
}

/** True when process `pid` is a local model server (its command line runs serve.py). */
function isModelServer(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some((a) => a.endsWith("serve.py"));
    } catch {
        return false;
    }
}

/**
 * Removes the work folders under `tmp` whose owner is gone (and, first, SIGKILLs their model server's
 * process group when its leader is still a serve.py process). Returns the folders removed. Never throws.
 */
export function removeStaleWorkDirs(tmp = os.tmpdir()): string[] {
    const removed: string[] = [];
    let names: string[];
    try { names = fs.readdirSync(tmp).filter((n) => n.startsWith(WORK_DIR_PREFIX)); } catch { return removed; }
    for (const name of names) {
        const dir = path.join(tmp, name);
        try {
            const st = fs.lstatSync(dir);
            if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) continue;
            const owner = readOwner(dir);
            if (!owner || ownerAlive(owner)) continue;
            if (owner.modelServerPgid && isModelServer(owner.modelServerPgid)) {
                try { process.kill(-owner.modelServerPgid, "SIGKILL"); } catch { /* already gone */ }
            }
            fs.rmSync(dir, { recursive: true, force: true });
            removed.push(dir);
        } catch {
            // another start is removing it, or it is not ours: leave it
        }
    }
    return removed;
}
