/**
 * The runtime API's HTTP plumbing: reading a request (target, query, bounded body), answering it (one place that
 * sets the request id and length, logs a failure and, for an unread body, half-closes), and forwarding a body
 * to a model server's `POST /invocations`.
 */
import * as crypto from "crypto";
import * as http from "http";
import type { AwsErrorReply } from "./awsErrors";
import { logText } from "./logText";

/** After an early 413, bytes of the unwanted body discarded (and ms waited) before the connection is closed. */
const DISCARD_BYTES = 1024 * 1024;
const DISCARD_MS = 2000;

/** The client went away before its request body was complete: nothing to answer, one log line. */
export class ClientGone extends Error {}

export function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of search) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return query;
}

/** The chunks as one buffer: the chunk itself when there is one (no copy), else one copy into a buffer of `bytes`. */
function joinChunks(chunks: Buffer[], bytes: number): Buffer {
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
}

/**
 * A read body: its chunks as they arrived (never joined: they are forwarded as they are, so a large body costs no
 * second copy, and the garbage collector sees half the memory per request), their total length, whether it passed
 * the limit, and its SHA-256 in hex (hashed as it arrived).
 */
export interface ReadBody { chunks: Buffer[]; bytes: number; tooLarge: boolean; sha256: string }

/**
 * Reads the body, hashing each chunk as it arrives (so the SigV4 check does not wait for a hash of the whole body);
 * resolves `tooLarge` as soon as it passes `limit` bytes (the rest is not read).
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<ReadBody> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        const hash = crypto.createHash("sha256");
        let bytes = 0;
        const onData = (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= limit) {
                chunks.push(chunk);
                hash.update(chunk);
            } else {
                req.off("data", onData);
                resolve({ chunks: [], bytes, tooLarge: true, sha256: "" });
            }
        };
        req.on("data", onData);
        req.on("end", () => resolve({ chunks, bytes, tooLarge: false, sha256: hash.digest("hex") }));
        req.on("error", () => reject(new ClientGone(`the client closed the connection after ${bytes} body bytes`)));
        req.on("close", () => { if (!req.complete) reject(new ClientGone(`the client closed the connection after ${bytes} body bytes`)); });
    });
}

const PLAIN_PATH = /^\/(?:[^/\\?][^?]*)?$/;
const NO_QUERY = new URLSearchParams();

/** The request target's path and query, or undefined when it is not a valid origin-form target. */
export function parseTarget(target: string): { rawPath: string; search: URLSearchParams } | undefined {
    if (!target.startsWith("/")) return undefined;
    // a plain path (no query, no second slash or backslash that could start an authority) parses as itself
    if (PLAIN_PATH.test(target)) return { rawPath: target, search: NO_QUERY };
    try {
        const url = new URL(target, "http://local");
        return { rawPath: target.split("?")[0], search: url.searchParams };
    } catch {
        return undefined;
    }
}

export interface ContainerReply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** `http://127.0.0.1:PORT` as http.request options, parsed once per base URL. */
const targets = new Map<string, { hostname: string; port: string }>();
function targetOf(base: string): { hostname: string; port: string } {
    let t = targets.get(base);
    if (!t) {
        const url = new URL(base);
        t = { hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port || "80" };
        if (targets.size > 64) targets.clear();
        targets.set(base, t);
    }
    return t;
}

/** Posts the body (`bytes` in `chunks`) to the model server; `headers` gets content-length set: it is the caller's fresh object. */
export function forward(base: string, chunks: readonly Buffer[], bytes: number, headers: Record<string, string>, timeoutMs: number): Promise<ContainerReply> {
    return new Promise((resolve, reject) => {
        headers["content-length"] = String(bytes);
        const out = http.request({ ...targetOf(base), path: "/invocations", method: "POST", headers, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            let bytes = 0;
            res.on("data", (c: Buffer) => { chunks.push(c); bytes += c.length; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: joinChunks(chunks, bytes) }));
            res.on("error", reject);
        });
        out.on("timeout", () => out.destroy(Object.assign(new Error("container timeout"), { code: "CONTAINER_TIMEOUT" })));
        out.on("error", reject);
        for (const c of chunks) out.write(c);
        out.end();
    });
}


/** Answers one request: every answer carries the request id and its length; a failure is also logged in one line. */
export class Reply {
    constructor(private readonly req: http.IncomingMessage, private readonly res: http.ServerResponse,
        private readonly requestId: string, private readonly log: (line: string) => void) {}

    send(status: number, headers: Record<string, string>, body: Buffer | string): void {
        headers["x-amzn-requestid"] = this.requestId;
        headers["content-length"] = String(Buffer.byteLength(body));
        this.res.writeHead(status, headers);
        this.res.end(body);
    }

    fail(e: AwsErrorReply): void {
        this.log(`${this.req.method} ${logText(this.req.url ?? "")} -> ${e.status} ${e.headers["x-amzn-errortype"]}: ${logText(JSON.parse(e.body).message)}`);
        this.send(e.status, e.headers, e.body);
    }

    /**
     * Answers without reading the body, then half-closes: the client reads the answer and the end of the
     * connection; at most DISCARD_BYTES more are read (and dropped), and the socket goes after DISCARD_MS.
     */
    refuseUnread(e: AwsErrorReply): void {
        const req = this.req;
        this.res.once("finish", () => {
            req.socket.end();
            setTimeout(() => req.socket.destroy(), DISCARD_MS).unref();
        });
        this.fail(e);
        let discarded = 0;
        req.on("data", (c: Buffer) => { discarded += c.length; if (discarded > DISCARD_BYTES) req.socket.pause(); });
        req.resume();
    }
}
