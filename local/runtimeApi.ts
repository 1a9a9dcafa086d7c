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
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

/** Real-time InvokeEndpoint payload limit: 6 MB. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** SigV4 clock skew AWS accepts: 15 minutes. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Account id shown in messages and ARNs of the local endpoint. */
export const LOCAL_ACCOUNT_ID = "000000000000";

export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
}

export interface RuntimeApiOptions {
    /** The one endpoint name served; others get 404 ValidationError. */
    endpointName: string;
    /** The only credentials accepted. */
    credentials: Credentials;
    /** Base URL of the model server (`http://127.0.0.1:PORT`), or a function giving it. */
    modelServerUrl: string | (() => string);
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

export interface AwsErrorReply {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** An error answer in the restJson1 shape the SDK parses: the name in `x-amzn-ErrorType`, `message` in the body. */
export function awsError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): AwsErrorReply {
    return {
        status,
        headers: { "content-type": "application/json", "x-amzn-errortype": type },
        body: JSON.stringify({ ...extra, message }),
    };
}

export interface ParsedAuthorization {
    accessKeyId: string;
    shortDate: string;
    region: string;
    service: string;
    signedHeaders: string[];
    signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization | { error: string } {
    const match = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(header.trim());
    if (!match) return { error: "Authorization header must use the AWS4-HMAC-SHA256 algorithm." };
    const fields: Record<string, string> = {};
    for (const part of match[1].split(",")) {
        const eq = part.indexOf("=");
        if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields[k]);
    if (missing.length > 0) {
        return { error: `Authorization header requires ${missing.map((m) => `'${m}'`).join(", ")} parameter(s).` };
    }
    const scope = fields.Credential.split("/");
    if (scope.length !== 5 || scope[4] !== "aws4_request" || !/^\d{8}$/.test(scope[1])) {
        return { error: "Credential should be scoped to a valid region, like 'ACCESS_KEY/YYYYMMDD/us-east-1/sagemaker/aws4_request'." };
    }
    if (!/^[0-9a-f]{64}$/.test(fields.Signature)) return { error: "Signature must be 64 lower-case hex digits." };
    return {
        accessKeyId: scope[0],
        shortDate: scope[1],
        region: scope[2],
        service: scope[3],
        signedHeaders: fields.SignedHeaders.split(";").map((h) => h.toLowerCase()),
        signature: fields.Signature,
    };
}

/** Parses an ISO 8601 basic date (`20261125T112233Z`) as sent in X-Amz-Date; undefined if malformed. */
export function parseAmzDate(value: string): Date | undefined {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
    if (!m) return undefined;
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
    return isNaN(d.getTime()) ? undefined : d;
}

function amzDate(ms: number): string {
    return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** The message AWS gives for a request date outside the allowed skew, or undefined when within it. */
export function skewError(requestDate: Date, nowMs: number, maxSkewMs = MAX_SKEW_MS): string | undefined {
    const minutes = Math.round(maxSkewMs / 60000);
    if (requestDate.getTime() < nowMs - maxSkewMs) {
        return `Signature expired: ${amzDate(requestDate.getTime())} is now earlier than ` +
            `${amzDate(nowMs - maxSkewMs)} (${amzDate(nowMs)} - ${minutes} min.)`;
    }
    if (requestDate.getTime() > nowMs + maxSkewMs) {
        return `Signature not yet current: ${amzDate(requestDate.getTime())} is still later than ` +
            `${amzDate(nowMs + maxSkewMs)} (${amzDate(nowMs)} + ${minutes} min.)`;
    }
    return undefined;
}

/** The ModelError answer AWS gives when the container answers non-2xx (or not at all: status 0). */
export function modelError(opts: { status: number; body: string; endpointName: string; region: string }): AwsErrorReply {
    const kind = opts.status >= 400 && opts.status < 500 ? "client" : "server";
    const group = `/aws/sagemaker/Endpoints/${opts.endpointName}`;
    const message = `Received ${kind} error (${opts.status}) from primary with message "${opts.body}". ` +
        `See the local model server log (CloudWatch log group ${group} on AWS) in account ${LOCAL_ACCOUNT_ID} for more information.`;
    return awsError(424, "ModelError", message, {
        ErrorCode: kind === "client" ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL",
        LogStreamArn: `arn:aws:logs:${opts.region}:${LOCAL_ACCOUNT_ID}:log-group:${group}`,
        Message: message,
        OriginalMessage: opts.body,
        OriginalStatusCode: opts.status,
    });
}

const INVOKE_PATH = /^\/endpoints\/([^/]+)\/invocations$/;
const SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided. " +
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/**
 * Verifies the SigV4 signature of a received request. Returns undefined when valid, else the error reply.
 * `rawPath` is the path exactly as received (the SDK signs its already-encoded path).
 */
export async function verifySigV4(req: {
    method: string; rawPath: string; query: Record<string, string | string[]>;
    headers: http.IncomingHttpHeaders; body: Buffer; host: string;
}, credentials: Credentials, nowMs: number): Promise<AwsErrorReply | undefined> {
    const auth = req.headers.authorization;
    if (!auth) return awsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    const parsed = parseAuthorization(auth);
    if ("error" in parsed) return awsError(403, "IncompleteSignatureException", parsed.error);
    const rawDate = req.headers["x-amz-date"];
    const date = typeof rawDate === "string" ? parseAmzDate(rawDate) : undefined;
    if (!date) {
        return awsError(403, "IncompleteSignatureException",
            "Authorization header requires existence of a valid 'X-Amz-Date' header (YYYYMMDDTHHMMSSZ).");
    }
    if (parsed.accessKeyId !== credentials.accessKeyId) {
        return awsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    const skew = skewError(date, nowMs);
    if (skew) return awsError(403, "InvalidSignatureException", skew);
    if (parsed.service !== "sagemaker") {
        return awsError(403, "InvalidSignatureException",
            `Credential should be scoped to correct service: 'sagemaker', not '${parsed.service}'.`);
    }
    if (parsed.shortDate !== (rawDate as string).slice(0, 8)) {
        return awsError(403, "InvalidSignatureException",
            `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.shortDate}' != '${(rawDate as string).slice(0, 8)}'.`);
    }
    if (!parsed.signedHeaders.includes("host")) {
        return awsError(403, "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    const sent = req.headers["x-amz-content-sha256"];
    if (typeof sent === "string" && sent !== crypto.createHash("sha256").update(req.body).digest("hex")) {
        return awsError(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const headers: Record<string, string> = {};
    for (const name of parsed.signedHeaders) {
        const value = req.headers[name];
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    const signer = new SignatureV4({
        credentials, region: parsed.region, service: "sagemaker", sha256: Hash.bind(null, "sha256"), uriEscapePath: true,
        // sign exactly the received headers: the JS SDK sends x-amz-content-sha256, botocore (AWS CLI) does not
        applyChecksum: false,
    });
    const request = new HttpRequest({
        method: req.method, protocol: "http:", hostname: req.host, path: req.rawPath, query: req.query, headers, body: req.body,
    });
    const signed = await signer.sign(request, {
        signingDate: date, signingRegion: parsed.region, signingService: "sagemaker",
        signableHeaders: new Set(parsed.signedHeaders),
    });
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? "";
    const ok = expected.length === parsed.signature.length &&
        crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(parsed.signature));
    return ok ? undefined : awsError(403, "InvalidSignatureException", SIGNATURE_MISMATCH);
}

function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of search) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return query;
}

/** Reads the body; past `limit` bytes it keeps draining but returns `tooLarge` with the byte count. */
function readBody(req: http.IncomingMessage, limit: number): Promise<{ body: Buffer; bytes: number; tooLarge: boolean }> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        req.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= limit) chunks.push(chunk);
        });
        req.on("end", () => resolve({ body: bytes <= limit ? Buffer.concat(chunks) : Buffer.alloc(0), bytes, tooLarge: bytes > limit }));
        req.on("error", reject);
        req.on("close", () => { if (!req.complete) reject(new Error("the client closed the connection before sending the whole body")); });
    });
}

interface ContainerReply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function forward(base: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<ContainerReply> {
    return new Promise((resolve, reject) => {
        const url = new URL("/invocations", base);
        const out = http.request(url, { method: "POST", headers: { ...headers, "content-length": String(body.length) }, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        out.on("timeout", () => out.destroy(Object.assign(new Error("container timeout"), { code: "CONTAINER_TIMEOUT" })));
        out.on("error", reject);
        out.end(body);
    });
}

/** Creates (does not start) the runtime API server. */
export function createRuntimeApi(opts: RuntimeApiOptions): RuntimeApi {
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
            res.writeHead(status, { ...headers, "x-amzn-requestid": requestId, "content-length": String(Buffer.byteLength(body)) });
            res.end(body);
        };
        const fail = (e: AwsErrorReply) => {
            log(`${req.method} ${req.url} -> ${e.status} ${e.headers["x-amzn-errortype"]}: ${JSON.parse(e.body).message}`);
            send(e.status, e.headers, e.body);
        };
        const url = new URL(req.url ?? "/", "http://local");
        const rawPath = (req.url ?? "/").split("?")[0];
        const { body, bytes, tooLarge } = await readBody(req, limit);
        const match = INVOKE_PATH.exec(rawPath);
        if (req.method !== "POST" || !match) {
            return fail(awsError(404, "UnknownOperationException",
                `No operation ${req.method} ${rawPath}; the local runtime API serves POST /endpoints/{EndpointName}/invocations.`));
        }
        // like the service front door: an oversize payload is refused before anything else
        if (tooLarge) {
            return fail(awsError(413, "ValidationError",
                `Request payload of ${bytes} bytes is larger than the ${limit}-byte limit of real-time InvokeEndpoint.`));
        }
        const authError = await verifySigV4({
            method: req.method, rawPath, query: parseQuery(url.searchParams), headers: req.headers, body,
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
        let reply: ContainerReply;
        try {
            forwarded++;
            const base = typeof opts.modelServerUrl === "function" ? opts.modelServerUrl() : opts.modelServerUrl;
            reply = await forward(base, body, headers, timeoutMs);
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
        const text = reply.body.toString("utf8");
        if (reply.status < 200 || reply.status > 299) {
            return fail(modelError({ status: reply.status, body: text, endpointName: name, region: region.region }));
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
            log(`${req.method} ${req.url} -> 500 InternalFailure: ${err.stack ?? err.message}`);
            if (!res.headersSent) {
                const e = awsError(500, "InternalFailure", `The local runtime API failed: ${err.message}`);
                res.writeHead(e.status, e.headers);
                res.end(e.body);
            } else {
                res.destroy();
            }
        });
    });
    server.keepAliveTimeout = 5000;
    return {
        server,
        setUnavailable(reason) { unavailable = reason; },
        get forwarded() { return forwarded; },
        get inflight() { return inflight; },
    };
}
