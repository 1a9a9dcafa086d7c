/**
 * SigV4 verification of a received request: parse the Authorization header and X-Amz-Date, check
 * the key, the 15-minute skew and the scope, then re-sign the request with `@smithy/signature-v4`
 * and compare signatures in constant time. Error answers are AWS's (names and messages).
 */
import * as crypto from "crypto";
import * as http from "http";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
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
