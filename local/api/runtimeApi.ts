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
import { ClientGone, ContainerReply, forward, parseQuery, parseTarget, readBody, Reply } from "./httpIo";
import { parseAuthorization, verifySigV4 } from "./sigv4";
import type { Credentials, ParsedAuthorization } from "./sigv4";
import { logText } from "./logText";
import { sageMakerNameProblem } from "../../config/names";

/** Real-time InvokeEndpoint payload limit: 6 MB. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Longest container wait accepted, in ms: Node's timer limit (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

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

/** Options with their defaults filled in, and the endpoint's state. */
interface ApiState {
    opts: RuntimeApiOptions;
    variant: string;
    limit: number;
    timeoutMs: number;
    now: () => number;
    log: (line: string) => void;
    unavailable: string | undefined;
    forwarded: number;
}

/** An invocation that passed every check: the endpoint name, the signer's region and the body (`bytes` in `chunks`). */
interface Admitted { name: string; region: string; chunks: Buffer[]; bytes: number }

/**
 * Checks an invocation the way the service does, in its order: operation, payload size (before reading the body when
 * Content-Length says so), SigV4, endpoint name, availability. Answers the first failure and resolves undefined.
 */
async function admit(s: ApiState, req: http.IncomingMessage, reply: Reply): Promise<Admitted | undefined> {
    const parsed = parseTarget(req.url ?? "");
    const match = parsed && INVOKE_PATH.exec(parsed.rawPath);
    if (req.method !== "POST" || !parsed || !match) {
        reply.refuseUnread(awsError(404, "UnknownOperationException",
            `No operation ${req.method} ${logText(parsed?.rawPath ?? req.url ?? "")}; the local runtime API serves POST /endpoints/{EndpointName}/invocations.`));
        return undefined;
    }
    const tooLarge = (bytes: number) => awsError(413, "ValidationError",
        `Request payload of ${bytes} bytes is larger than the ${s.limit}-byte limit of real-time InvokeEndpoint.`);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > s.limit) { reply.refuseUnread(tooLarge(declared)); return undefined; }
    const { chunks, bytes, tooLarge: over, sha256 } = await readBody(req, s.limit);
    if (over) { reply.refuseUnread(tooLarge(bytes)); return undefined; }
    const authError = await verifySigV4({
        method: req.method, rawPath: parsed.rawPath, query: parseQuery(parsed.search), headers: req.headers, body: chunks,
        host: req.headers.host ?? "", bodySha256: sha256,
    }, s.opts.credentials, s.now());
    if (authError) { reply.fail(authError); return undefined; }
    const region = (parseAuthorization(req.headers.authorization as string) as ParsedAuthorization).region; // verified above
    let name: string;
    try { name = decodeURIComponent(match[1]); } catch { name = match[1]; }
    const refusal = name !== s.opts.endpointName
        ? awsError(404, "ValidationError", `Endpoint ${name} of account ${LOCAL_ACCOUNT_ID} not found.`)
        : s.unavailable !== undefined ? awsError(503, "ServiceUnavailable", `Endpoint ${name} cannot serve: ${s.unavailable}`) : undefined;
    if (refusal) { reply.fail(refusal); return undefined; }
    return { name, region, chunks, bytes };
}

/** The headers a model server gets: Content-Type, Accept and custom attributes, as the service passes them. */
function forwardedHeaders(req: http.IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const h of ["content-type", "accept", "x-amzn-sagemaker-custom-attributes"]) {
        const v = req.headers[h];
        if (typeof v === "string") headers[h] = v;
    }
    return headers;
}

/** Routes and forwards an admitted invocation; resolves the model server's reply, or the error to answer. */
async function invoke(s: ApiState, req: http.IncomingMessage, a: Admitted): Promise<{ reply: ContainerReply } | { error: AwsErrorReply }> {
    const header = req.headers[INFERENCE_COMPONENT_HEADER];
    const route = routeInvocation(typeof header === "string" ? header : undefined, s.opts.inferenceComponents,
        () => (typeof s.opts.modelServerUrl === "function" ? s.opts.modelServerUrl() : s.opts.modelServerUrl));
    if ("error" in route) return { error: route.error };
    try {
        s.forwarded++;
        return { reply: await forward(route.base, a.chunks, a.bytes, forwardedHeaders(req), s.timeoutMs) };
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "CONTAINER_TIMEOUT") {
            return { error: modelError({ status: 0, endpointName: a.name, region: a.region,
                body: `Your invocation timed out while waiting for a response from container primary (${Math.round(s.timeoutMs / 1000)} s).` }) };
        }
        const why = s.unavailable ?? `the model server did not answer (${code ?? (err as Error).message})`;
        return { error: awsError(503, "ServiceUnavailable", `Endpoint ${a.name} cannot serve: ${why}`) };
    }
}

async function handle(s: ApiState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = new Reply(req, res, crypto.randomUUID(), s.log);
    const admitted = await admit(s, req, reply);
    if (!admitted) return;
    const result = await invoke(s, req, admitted);
    if ("error" in result) return reply.fail(result.error);
    const answer = result.reply;
    if (answer.status < 200 || answer.status > 299) {
        return reply.fail(modelError({ status: answer.status, body: answer.body.toString("utf8"), endpointName: admitted.name, region: admitted.region }));
    }
    const out: Record<string, string> = {
        "content-type": String(answer.headers["content-type"] ?? "application/octet-stream"),
        "x-amzn-invoked-production-variant": s.variant,
    };
    const custom = answer.headers["x-amzn-sagemaker-custom-attributes"];
    if (typeof custom === "string") out["x-amzn-sagemaker-custom-attributes"] = custom;
    reply.send(200, out, answer.body);
}

/** A request whose handling threw: a client gone is one log line; anything else a 500 InternalFailure. */
function answerCrash(s: ApiState, req: http.IncomingMessage, res: http.ServerResponse, err: Error): void {
    if (err instanceof ClientGone) {
        s.log(`${req.method} ${logText(req.url ?? "")} -> not answered: ${err.message}; nothing was forwarded`);
        return;
    }
    s.log(`${req.method} ${logText(req.url ?? "")} -> 500 InternalFailure: ${logText(err.message)}`);
    if (!res.headersSent) {
        const e = awsError(500, "InternalFailure", `The local runtime API failed: ${err.message}`);
        res.writeHead(e.status, e.headers);
        res.end(e.body);
    } else {
        res.destroy();
    }
}

/** Framing the HTTP parser refuses (bad request line, Content-Length, control characters): one line, 400 (431 for huge headers). */
function answerClientError(s: ApiState, err: NodeJS.ErrnoException, socket: import("stream").Duplex): void {
    // a client gone mid-request: its request (if any) logs that line itself
    if (err.code === "ECONNRESET" || err.code === "HPE_INVALID_EOF_STATE" || !socket.writable) { socket.destroy(); return; }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    s.log(`malformed HTTP request -> ${status}: ${logText(err.code ?? err.message)}`);
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Creates (does not start) the runtime API server. */
export function createRuntimeApi(opts: RuntimeApiOptions): RuntimeApi {
    const problems = runtimeApiOptionProblems(opts);
    if (problems.length > 0) throw new Error(`createRuntimeApi: ${problems.join("; ")}`);
    const s: ApiState = {
        opts, variant: opts.variantName ?? "AllTraffic", limit: opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
        timeoutMs: opts.containerTimeoutMs ?? 65000, now: opts.now ?? Date.now, log: opts.log ?? (() => undefined),
        unavailable: undefined, forwarded: 0,
    };
    let inflight = 0;
    const server = http.createServer((req, res) => {
        inflight++;
        res.once("close", () => { inflight--; });
        handle(s, req, res).catch((err: Error) => answerCrash(s, req, res, err));
    });
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => answerClientError(s, err, socket));
    server.keepAliveTimeout = 5000;
    return {
        server,
        setUnavailable(reason) { s.unavailable = reason; },
        get forwarded() { return s.forwarded; },
        get inflight() { return inflight; },
    };
}
