/**
 * Where a request's time goes, for `npm run bench:serve`: at concurrency 1 and for each payload, the same client
 * process times four paths in alternating turns, and the floor takes its turn among them:
 *   - full: the SDK to the runtime API (what the latency table shows);
 *   - direct: a bare HTTP POST /invocations to the model server (its HTTP side, the worker pipe and the handler);
 *   - SDK alone: the SDK to a loopback server in the bench process that answers that payload's real answer at once
 *     (signing, the SDK's middleware, one loopback exchange, parsing the answer);
 *   - floor: the handler called in-process (floor.py, with the tuned endpoint's worker environment);
 *   - stand-in: the SDK to a runtime API process in front of a stand-in model server that is busy for the floor's p50
 *     and then answers (standinPath.ts): the path alone around a handler of that duration, a floor for full / floor.
 * The shares follow: model server + worker pipe = direct - floor;
 * runtime API (its checks and its hop to the model server) = full - direct - SDK alone.
 */
import * as fs from "fs";
import * as http from "http";
import { postInvocation } from "./client";
import type { ClientCommand, ClientReply } from "./client";
import type { Stats } from "./run";
import type { StandInPath } from "./standinPath";

type PathName = "full" | "direct" | "sdkAlone" | "standIn";
/** p50s of each path for one payload; `busyMs`: how long the stand-in was busy (the floor's p50 of a turn before). */
export interface BreakdownRow { key: string; full: Stats; direct: Stats; sdkAlone: Stats; floor: Stats; standIn: Stats; busyMs: number }

/** The TCP port a process listens on, from /proc/<pid>/fd and /proc/net/tcp (Linux); throws when there is none. */
export function listeningPort(pid: number): number {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        try {
            const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
            if (m) inodes.add(m[1]);
        } catch { /* closed meanwhile */ }
    }
    for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[3] === "0A" && inodes.has(f[9])) return parseInt(f[1].split(":")[1], 16); // 0A: LISTEN
    }
    throw new Error(`process ${pid} listens on no TCP port`);
}

/** A loopback server answering every request with `answer()` as soon as the body is read. */
async function instantServer(answer: () => Buffer): Promise<{ url: string; close: () => void }> {
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            const body = answer();
            res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
            res.end(body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, close: () => { server.closeAllConnections(); server.close(); } };
}

/** Runs one command on the bench's client process (which adds the endpoint's credentials). */
type Run = (c: Omit<ClientCommand, "credentials">) => Promise<ClientReply>;
/** Times `n` in-process handler calls of the payload `key`: wall ms of each. */
type RunFloor = (key: string, n: number) => Promise<number[]>;

/**
 * Times the four paths and the floor for each payload: `rounds` turns of `requests` requests (or calls) each, the
 * five alternating within a turn. `apiUrl` is the runtime API, `modelServerUrl` the model server, `standIn` the
 * stand-in path (keyed by body length, so the payloads' lengths must differ); `stats` summarises latencies.
 */
export async function runBreakdown(run: Run, runFloor: RunFloor, apiUrl: string, modelServerUrl: string, standIn: StandInPath,
    bodies: Array<{ key: string; model: string; body: string }>, requests: number, rounds: number,
    stats: (ms: number[]) => Stats): Promise<BreakdownRow[]> {
    const lengths = bodies.map((b) => Buffer.byteLength(b.body));
    if (new Set(lengths).size !== lengths.length) throw new Error(`the payloads' lengths must differ for the stand-in: ${lengths.join(", ")}`);
    let canned: Buffer = Buffer.alloc(0);
    const instant = await instantServer(() => canned);
    const rows: BreakdownRow[] = [];
    try {
        for (const b of bodies) {
            const base = { endpointName: "local", bodies: [b], concurrency: 1 };
            canned = Buffer.from(await postInvocation(modelServerUrl, Buffer.from(b.body)));
            const busyMs = stats(await runFloor(b.key, requests)).p50;
            await standIn.set(Buffer.byteLength(b.body), busyMs, canned.toString("utf8"));
            const ms: Record<PathName | "floor", number[]> = { full: [], direct: [], sdkAlone: [], floor: [], standIn: [] };
            const timed = (name: PathName, command: Parameters<Run>[0]) => async (): Promise<number[]> => {
                const reply = await run(command);
                if (reply.errors > 0) throw new Error(`${name} path, ${b.key}: ${reply.firstErrors.join("; ")}`);
                return reply.latencies[b.key] ?? [];
            };
            const paths: Array<[keyof typeof ms, () => Promise<number[]>]> = [
                ["full", timed("full", { ...base, endpoint: apiUrl, requests, mode: "sdk" })],
                ["direct", timed("direct", { ...base, endpoint: modelServerUrl, requests, mode: "http" })],
                ["sdkAlone", timed("sdkAlone", { ...base, endpoint: instant.url, requests, mode: "sdk" })],
                ["floor", () => runFloor(b.key, requests)],
                ["standIn", timed("standIn", { ...base, endpoint: standIn.url, requests, mode: "sdk" })],
            ];
            for (let r = 0; r < rounds; r++) {
                for (const [name, turn] of r % 2 === 0 ? paths : [...paths].reverse()) ms[name].push(...await turn());
            }
            rows.push({ key: b.key, full: stats(ms.full), direct: stats(ms.direct), sdkAlone: stats(ms.sdkAlone), floor: stats(ms.floor),
                standIn: stats(ms.standIn), busyMs });
        }
    } finally {
        instant.close();
    }
    return rows;
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

/** The report's rows: measured p50s (the floor's among them), then the shares derived from them. Pure. */
export function breakdownRows(rows: BreakdownRow[]): string[] {
    const out = ["| payload | full path (SDK -> runtime API) | SDK alone | direct to the model server | floor: the handler | " +
        "model server + worker pipe | runtime API + its hop | stand-in busy | path around the stand-in | path / stand-in busy |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"];
    for (const r of rows) {
        const fl = r.floor.p50;
        out.push(`| ${r.key} | ${f(r.full.p50)} | ${f(r.sdkAlone.p50)} | ${f(r.direct.p50)} | ${f(fl)} | ${f(r.direct.p50 - fl)} | ` +
            `${f(r.full.p50 - r.direct.p50 - r.sdkAlone.p50)} | ${f(r.busyMs)} | ${f(r.standIn.p50)} | ${r.busyMs > 0 ? `${f(r.standIn.p50 / r.busyMs)}x` : "-"} |`);
    }
    return out;
}
