/**
 * A local SageMaker Runtime API: `POST /endpoints/{EndpointName}/invocations`, as
 * `@aws-sdk/client-sagemaker-runtime` sends it, forwarded to a model server's
 * `POST /invocations`. Requests are authenticated with SigV4 (verified by re-signing the
 * received request with `@smithy/signature-v4`); errors use the service's restJson1 shape
 * (`x-amzn-ErrorType` header, JSON body with `message`), so the SDK throws the same
 * exception names as against AWS (`ModelError`, `ValidationError`, `InvalidSignatureException`, ...).
 */
import * as crypto from "crypto";
import * as http from "http";
import { awsError, LOCAL_ACCOUNT_ID, modelError } from "./awsErrors";
import type { AwsErrorReply } from "./awsErrors";
import { INFERENCE_COMPONENT_HEADER, routeInvocation } from "./componentRouting";
import { parseAuthorization, verifySigV4 } from "./sigv4";
import type { Credentials, ParsedAuthorization } from "./sigv4";
import { logText } from "./logText";
import { sageMakerNameProblem } from "../../config/names";

/** Real-time InvokeEndpoint payload limit: 6 MB. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Longest container wait accepted, in ms: Node's timer limit (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** After an early 413, bytes of the unwanted body discarded (and ms waited) before the connection is closed. */
const DISCARD_BYTES = 1024 * 1024;
const DISCARD_MS = 2000;

/** Problems of the options (endpoint name by SageMaker's rule, finite timeouts and limits in range); empty when valid. */
export function runtimeApiOptionProblems(o: Pick<RuntimeApiOptions, "endpointName" | "containerTimeoutMs" | "maxPayloadBytes">): string[] {
    const problems: string[] = [];
    const name = sageMakerNameProblem(o.endpointName);
    if (name) problems.push(`endpoint name ${JSON.stringify(logText(o.endpointName, 80))} ${name}`);
    const ms = o.containerTimeoutMs;
    if (ms !== undefined && !(Number.isInteger(ms) && ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
        problems.push(`containerTimeoutMs ${ms} must be a whole number of ms from 1 to ${MAX_TIMEOUT_MS}`);
    }
    const bytes = o.maxPayloadBytes;
    if (bytes !== undefined && !(Number.isSafeInteger(bytes) && bytes >= 0)) problems.push(`maxPayloadBytes ${bytes} must be a whole number of bytes >= 0`);
    return problems;
}

/** The client went away before its request body was complete: nothing to answer, one log line. */
class ClientGone extends Error {}

export interface RuntimeApiOptions {
    /** The one endpoint name served; others get 404 ValidationError. */
    endpointName: string;
    /** The only credentials accepted. */
    credentials: Credentials;
    /** Base URL of the model server (`http://127.0.0.1:PORT`), or a function giving it. */
    modelServerUrl: string | (() => string);
    /**
     * An endpoint of the components topology: inference component name -> base URL of its model server. Invocations are
     * routed by the `X-Amzn-SageMaker-Inference-Component` header (componentRouting.ts); `modelServerUrl` is then unused.
     * @default undefined (one model server, `modelServerUrl`)
     */
    inferenceComponents?: Record<string, () => string>;
    /** Value of `x-Amzn-Invoked-Production-Variant`. @default "AllTraffic" */
    variantName?: string;
    /** Longest wait for the model server's answer, in ms; then ModelError like AWS's timeout. @default 65000 */
    containerTimeoutMs?: number;
    /** Request body limit in bytes. @default 6 MiB */
    maxPayloadBytes?: number;
    /** Clock, for tests. @default Date.now */
    now?: () => number;
    /** Log sink for one line per failed request. @default none */
    log?: (line: string) => void;
}

export interface RuntimeApi {
    server: http.Server;
    /** While set, invocations get 503 ServiceUnavailable with this reason (the model server is gone). */
    setUnavailable(reason: string | undefined): void;
    /** Requests forwarded to the model server so far. */
    readonly forwarded: number;
    /** Requests being answered right now. */
    readonly inflight: number;
}

const INVOKE_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of search) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return query;
}

/** The chunks as one buffer: the chunk itself when there is one (no copy), else one copy into a buffer of `bytes`. */
export function joinChunks(chunks: Buffer[], bytes: number): Buffer {
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
}

/** Reads the body; resolves `tooLarge` as soon as it passes `limit` bytes (the rest is not read). */
function readBody(req: http.IncomingMessage, limit: number): Promise<{ body: Buffer; bytes: number; tooLarge: boolean }> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const onData = (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= limit) chunks.push(chunk);
            else {
                req.off("data", onData);
                resolve({ body: Buffer.alloc(0), bytes, tooLarge: true });
            }
        };
        req.on("data", onData);
        req.on("end", () => resolve({ body: joinChunks(chunks, bytes), bytes, tooLarge: false }));
        req.on("error", () => reject(new ClientGone(`the client closed the connection after ${bytes} body bytes`)));
        req.on("close", () => { if (!req.complete) reject(new ClientGone(`the client closed the connection after ${bytes} body bytes`)); });
    });
}

const PLAIN_PATH = /^\/(?:[^/\\?][^?]*)?$/;
const NO_QUERY = new URLSearchParams();

/** The request target's path and query, or undefined when it is not a valid origin-form target. */
function parseTarget(target: string): { rawPath: string; search: URLSearchParams } | undefined {
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

interface ContainerReply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

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

/** `headers` gets content-length set; it is the caller's fresh object. */
function forward(base: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<ContainerReply> {
    return new Promise((resolve, reject) => {
        headers["content-length"] = String(body.length);
        const out = http.request({ ...targetOf(base), path: "/invocations", method: "POST", headers, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            let bytes = 0;
            res.on("data", (c: Buffer) => { chunks.push(c); bytes += c.length; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: joinChunks(chunks, bytes) }));
            res.on("error", reject);
        });
        out.on("timeout", () => out.destroy(Object.assign(new Error("container timeout"), { code: "CONTAINER_TIMEOUT" })));
        out.on("error", reject);
        out.end(body);
    });
}

/** Creates (does not start) the runtime API server. */
export function createRuntimeApi(opts: RuntimeApiOptions): RuntimeApi {
    const problems = runtimeApiOptionProblems(opts);
    if (problems.length > 0) throw new Error(`createRuntimeApi: ${problems.join("; ")}`);
    const variant = opts.variantName ?? "AllTraffic";
    const limit = opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    const timeoutMs = opts.containerTimeoutMs ?? 65000;
    const now = opts.now ?? Date.now;
    const log = opts.log ?? (() => undefined);
    let unavailable: string | undefined;
    let forwarded = 0;

    async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const requestId = crypto.randomUUID();
        const send = (status: number, headers: Record<string, string>, body: Buffer | string) => {
            headers["x-amzn-requestid"] = requestId;
            headers["content-length"] = String(Buffer.byteLength(body));
            res.writeHead(status, headers);
            res.end(body);
        };
        const fail = (e: AwsErrorReply) => {
            log(`${req.method} ${logText(req.url ?? "")} -> ${e.status} ${e.headers["x-amzn-errortype"]}: ${logText(JSON.parse(e.body).message)}`);
            send(e.status, e.headers, e.body);
        };
        /**
         * Answers without reading the body, then half-closes: the client reads the answer and the end of the
         * connection; at most DISCARD_BYTES more are read (and dropped), and the socket goes after DISCARD_MS.
         */
        const refuseUnread = (e: AwsErrorReply) => {
            res.once("finish", () => {
                req.socket.end();
                setTimeout(() => req.socket.destroy(), DISCARD_MS).unref();
            });
            fail(e);
            let discarded = 0;
            req.on("data", (c: Buffer) => { discarded += c.length; if (discarded > DISCARD_BYTES) req.socket.pause(); });
            req.resume();
        };
        const parsed = parseTarget(req.url ?? "");
        const match = parsed && INVOKE_PATH.exec(parsed.rawPath);
        if (req.method !== "POST" || !parsed || !match) {
            return refuseUnread(awsError(404, "UnknownOperationException",
                `No operation ${req.method} ${logText(parsed?.rawPath ?? req.url ?? "")}; the local runtime API serves POST /endpoints/{EndpointName}/invocations.`));
        }
        const rawPath = parsed.rawPath;
        // like the service front door: an oversize payload is refused before anything else, before its body is read
        const declared = Number(req.headers["content-length"] ?? 0);
        const tooLarge = (bytes: number) => awsError(413, "ValidationError",
            `Request payload of ${bytes} bytes is larger than the ${limit}-byte limit of real-time InvokeEndpoint.`);
        if (declared > limit) return refuseUnread(tooLarge(declared));
        const { body, bytes, tooLarge: over } = await readBody(req, limit);
        if (over) return refuseUnread(tooLarge(bytes));
        const authError = await verifySigV4({
            method: req.method, rawPath, query: parseQuery(parsed.search), headers: req.headers, body,
            host: req.headers.host ?? "",
        }, opts.credentials, now());
        if (authError) return fail(authError);
        const region = parseAuthorization(req.headers.authorization as string) as ParsedAuthorization; // verified above
        let name: string;
        try { name = decodeURIComponent(match[1]); } catch { name = match[1]; }
        if (name !== opts.endpointName) {
            return fail(awsError(404, "ValidationError", `Endpoint ${name} of account ${LOCAL_ACCOUNT_ID} not found.`));
        }
        if (unavailable !== undefined) {
            return fail(awsError(503, "ServiceUnavailable", `Endpoint ${name} cannot serve: ${unavailable}`));
        }
        const headers: Record<string, string> = {};
        for (const h of ["content-type", "accept", "x-amzn-sagemaker-custom-attributes"]) {
            const v = req.headers[h];
            if (typeof v === "string") headers[h] = v;
        }
        const header = req.headers[INFERENCE_COMPONENT_HEADER];
        const route = routeInvocation(typeof header === "string" ? header : undefined, opts.inferenceComponents,
            () => (typeof opts.modelServerUrl === "function" ? opts.modelServerUrl() : opts.modelServerUrl));
        if ("error" in route) return fail(route.error);
        let reply: ContainerReply;
        try {
            forwarded++;
            reply = await forward(route.base, body, headers, timeoutMs);
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === "CONTAINER_TIMEOUT") {
                return fail(modelError({
                    status: 0, endpointName: name, region: region.region,
                    body: `Your invocation timed out while waiting for a response from container primary (${Math.round(timeoutMs / 1000)} s).`,
                }));
            }
            const why = unavailable ?? `the model server did not answer (${code ?? (err as Error).message})`;
            return fail(awsError(503, "ServiceUnavailable", `Endpoint ${name} cannot serve: ${why}`));
        }
        if (reply.status < 200 || reply.status > 299) {
            return fail(modelError({ status: reply.status, body: reply.body.toString("utf8"), endpointName: name, region: region.region }));
        }
        const out: Record<string, string> = {
            "content-type": String(reply.headers["content-type"] ?? "application/octet-stream"),
            "x-amzn-invoked-production-variant": variant,
        };
        const custom = reply.headers["x-amzn-sagemaker-custom-attributes"];
        if (typeof custom === "string") out["x-amzn-sagemaker-custom-attributes"] = custom;
        send(200, out, reply.body);
    }

    let inflight = 0;
    const server = http.createServer((req, res) => {
        inflight++;
        res.once("close", () => { inflight--; });
        handle(req, res).catch((err: Error) => {
            if (err instanceof ClientGone) {
                log(`${req.method} ${logText(req.url ?? "")} -> not answered: ${err.message}; nothing was forwarded`);
                return;
            }
            log(`${req.method} ${logText(req.url ?? "")} -> 500 InternalFailure: ${logText(err.message)}`);
            if (!res.headersSent) {
                const e = awsError(500, "InternalFailure", `The local runtime API failed: ${err.message}`);
                res.writeHead(e.status, e.headers);
                res.end(e.body);
            } else {
                res.destroy();
            }
        });
    });
    // framing the HTTP parser refuses (bad request line, Content-Length, control characters): one line, 400 (431 for huge headers)
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
        // a client gone mid-request: its request (if any) logs that line itself
        if (err.code === "ECONNRESET" || err.code === "HPE_INVALID_EOF_STATE" || !socket.writable) { socket.destroy(); return; }
        const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
        log(`malformed HTTP request -> ${status}: ${logText(err.code ?? err.message)}`);
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    server.keepAliveTimeout = 5000;
    return {
        server,
        setUnavailable(reason) { unavailable = reason; },
        get forwarded() { return forwarded; },
        get inflight() { return inflight; },
    };
}
