/**
 * SigV4 verification of a received request: parse the Authorization header and X-Amz-Date, check
 * the key, the 15-minute skew and the scope, then compute the signature `@smithy/signature-v4` gives the
 * request (its canonicalisation, node:crypto hashes, signing keys cached) and compare in constant time. Error answers are AWS's (names and messages).
 */
import * as crypto from "crypto";
import * as http from "http";
import type * as HashNode from "@smithy/hash-node";
import type { HttpRequest } from "@smithy/protocol-http";
import type * as Signer from "@smithy/signature-v4";
import { awsError, AwsErrorReply } from "./awsErrors";

/** SigV4 clock skew AWS accepts: 15 minutes. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
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

const SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided. " +
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** What the check takes from the SDK's signer: its module, canonical path rules and the headers it generates itself. */
interface SignerParts {
    signer: typeof Signer;
    /** Canonical path rules (segments normalised, each URI-escaped again) of the signer the SDK uses; its only use here. */
    pathRules: { getCanonicalPath(request: { path: string }): string };
    /** Headers SignatureV4 drops from a request before signing it (it sets x-amz-date itself). */
    generated: Set<string>;
}
let parts: SignerParts | undefined;

/**
 * The signer's parts, loaded on first use (about 0.05 s of loading a command that never checks a signature does
 * not pay). `npm start` calls it while the model server loads its models, so no request waits for it.
 */
export function loadSigner(): SignerParts {
    if (!parts) {
        const signer = require("@smithy/signature-v4") as typeof Signer;
        const { Hash } = require("@smithy/hash-node") as typeof HashNode;
        const pathRules = new signer.SignatureV4({
            credentials: { accessKeyId: "", secretAccessKey: "" }, region: "", service: "sagemaker", sha256: Hash.bind(null, "sha256"), uriEscapePath: true,
        }) as unknown as SignerParts["pathRules"]; // a method TypeScript marks private
        parts = { signer, pathRules, generated: new Set(signer.GENERATED_HEADERS) };
    }
    return parts;
}

/** Signing keys (date, region) kept per credentials; the region comes from the request, so the cache is bounded. */
const KEYS_KEPT = 32;
const signingKeys = new WeakMap<Credentials, Map<string, crypto.KeyObject>>();

/** The SigV4 signing key as a KeyObject (an HMAC keyed by a KeyObject starts several times faster than by a Buffer). */
function signingKey(credentials: Credentials, shortDate: string, region: string): crypto.KeyObject {
    let keys = signingKeys.get(credentials);
    if (!keys) signingKeys.set(credentials, keys = new Map());
    const id = `${shortDate}/${region}`;
    let key = keys.get(id);
    if (!key) {
        let raw = Buffer.from(`AWS4${credentials.secretAccessKey}`);
        for (const part of [shortDate, region, "sagemaker", loadSigner().signer.KEY_TYPE_IDENTIFIER]) raw = crypto.createHmac("sha256", raw).update(part).digest();
        if (keys.size >= KEYS_KEPT) keys.clear();
        keys.set(id, key = crypto.createSecretKey(raw));
    }
    return key;
}

export interface SignedRequest {
    method: string; rawPath: string; query: Record<string, string | string[]>; headers: http.IncomingHttpHeaders;
    /** The body, whole or in the chunks it arrived in. */
    body: Buffer | readonly Buffer[];
}

/**
 * The signature `@smithy/signature-v4`'s SignatureV4.sign gives `req` (signing exactly its SignedHeaders, as the
 * verifier did with it: `applyChecksum` off, `uriEscapePath` on, service sagemaker), computed synchronously with the
 * signer's own canonicalisation (getCanonicalHeaders, getCanonicalQuery, its canonical path) and a cached signing key.
 * `bodyHash` is the hex SHA-256 of the body. tests/unit/local/sigv4Fast.spec.ts checks it equals SignatureV4.sign's.
 */
export function expectedSignature(req: SignedRequest, signedHeaders: string[], longDate: string, region: string, credentials: Credentials, bodyHash: () => string): string {
    const { signer, pathRules, generated } = loadSigner();
    const { ALGORITHM_IDENTIFIER, AMZ_DATE_HEADER, SHA256_HEADER } = signer;
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
        const value = req.headers[name];
        if (value !== undefined && !generated.has(name)) headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    headers[AMZ_DATE_HEADER] = longDate;
    const payloadHash = Object.prototype.hasOwnProperty.call(headers, SHA256_HEADER) ? headers[SHA256_HEADER] : bodyHash();
    const canonical = signer.getCanonicalHeaders({ headers } as unknown as HttpRequest, undefined, new Set(signedHeaders));
    const names = Object.keys(canonical).sort();
    const canonicalRequest = `${req.method}\n${pathRules.getCanonicalPath({ path: req.rawPath })}\n${signer.getCanonicalQuery({ query: req.query } as unknown as HttpRequest)}\n` +
        `${names.map((n) => `${n}:${canonical[n]}`).join("\n")}\n\n${names.join(";")}\n${payloadHash}`;
    const shortDate = longDate.slice(0, 8);
    const stringToSign = `${ALGORITHM_IDENTIFIER}\n${longDate}\n${signer.createScope(shortDate, region, "sagemaker")}\n` +
        crypto.createHash("sha256").update(canonicalRequest).digest("hex");
    return crypto.createHmac("sha256", signingKey(credentials, shortDate, region)).update(stringToSign).digest("hex");
}

/** The SHA-256 in hex of the chunks one after the other. */
function sha256Hex(chunks: readonly Buffer[]): string {
    const hash = crypto.createHash("sha256");
    for (const c of chunks) hash.update(c);
    return hash.digest("hex");
}

/**
 * Verifies the SigV4 signature of a received request. Returns undefined when valid, else the error reply.
 * `rawPath` is the path exactly as received (the SDK signs its already-encoded path).
 */
export async function verifySigV4(req: {
    method: string; rawPath: string; query: Record<string, string | string[]>;
    headers: http.IncomingHttpHeaders; body: SignedRequest["body"]; host: string;
    /** The body's SHA-256 in hex when the caller hashed it already (while reading it). @default hashed here */
    bodySha256?: string;
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
    let hash: string | undefined = req.bodySha256;
    const bodyHash = () => (hash ??= sha256Hex(Buffer.isBuffer(req.body) ? [req.body] : req.body));
    const sent = req.headers["x-amz-content-sha256"];
    if (typeof sent === "string" && sent !== bodyHash()) {
        return awsError(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const expected = expectedSignature(req, parsed.signedHeaders, amzDate(date.getTime()), parsed.region, credentials, bodyHash);
    const ok = expected.length === parsed.signature.length &&
        crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(parsed.signature));
    return ok ? undefined : awsError(403, "InvalidSignatureException", SIGNATURE_MISMATCH);
}
