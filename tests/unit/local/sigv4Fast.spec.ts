/** local/api/sigv4.ts expectedSignature: the signature the runtime API expects equals what @smithy/signature-v4 signs. */
import * as assert from "assert";
import * as crypto from "crypto";
import fc from "fast-check";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { expectedSignature, verifySigV4 } from "../../../local/api/sigv4";

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local-secret" };

/** What SignatureV4.sign (the reference, as the API used it before) gives the request, signing exactly `signed`. */
async function reference(method: string, path: string, query: Record<string, string | string[]>, headers: Record<string, string>,
    body: Buffer, signed: string[], date: Date, region: string): Promise<string> {
    const signer = new SignatureV4({ credentials: CREDENTIALS, region, service: "sagemaker", sha256: Hash.bind(null, "sha256"), uriEscapePath: true, applyChecksum: false });
    const only = Object.fromEntries(signed.filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]]));
    const out = await signer.sign(new HttpRequest({ method, protocol: "http:", hostname: "h", path, query, headers: only, body }),
        { signingDate: date, signingRegion: region, signingService: "sagemaker", signableHeaders: new Set(signed) });
    return /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization))![1];
}

const amz = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const text = fc.string({ maxLength: 20 });

describe("SigV4 verification: the runtime API's expected signature", () => {
    it("equals SignatureV4.sign's for random paths, queries, headers (signed or not, spaces, duplicates), bodies and regions", async () => {
        await fc.assert(fc.asyncProperty(
            fc.array(fc.oneof(token, fc.constantFrom(".", "..", "", "a b", "%2F", "é")), { maxLength: 5 }),
            fc.dictionary(token, fc.oneof(text, fc.array(text, { maxLength: 3 }))),
            fc.dictionary(token.filter((h) => !["authorization", "x-amz-date", "host"].includes(h)), fc.string({ maxLength: 30 }).map((v) => v.replace(/[\r\n]/g, ""))),
            fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean(), fc.constantFrom("us-east-1", "eu-west-3", "local"),
            fc.date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }),
            async (segments, query, extra, bytes, withSha, signDate, region, when) => {
                const date = new Date(Math.floor(when.getTime() / 1000) * 1000);
                const body = Buffer.from(bytes);
                const headers: Record<string, string> = { host: "127.0.0.1:8080", "x-amz-date": amz(date), "content-type": "application/json", ...extra };
                if (withSha) headers["x-amz-content-sha256"] = sha(body);
                if (signDate) headers.date = date.toUTCString();
                const names = Object.keys(headers);
                const signed = names.filter((_, i) => i < 3 || i % 2 === 0).sort();
                const path = "/" + segments.join("/");
                const want = await reference("POST", path, query, headers, body, signed, date, region);
                const got = expectedSignature({ method: "POST", rawPath: path, query, headers, body }, signed, amz(date), region, CREDENTIALS, () => sha(body));
                assert.strictEqual(got, want);
            }), { numRuns: 300, seed: 7 });
    });

    /** A request to the local endpoint signed by the reference signer at a fixed date; `req` rebuilds it with changes. */
    async function signedInvocation() {
        const date = new Date("2026-11-29T10:00:00Z");
        const body = Buffer.from('{"model":"fashion"}');
        const headers: Record<string, string> = { host: "127.0.0.1:8080", "x-amz-date": amz(date), "content-type": "application/json" };
        const signed = ["content-type", "host", "x-amz-date"];
        const sig = await reference("POST", "/endpoints/local/invocations", {}, headers, body, signed, date, "us-east-1");
        const authorization = `AWS4-HMAC-SHA256 Credential=local/20261129/us-east-1/sagemaker/aws4_request, SignedHeaders=${signed.join(";")}, Signature=${sig}`;
        const req = (b: Buffer | Buffer[] = body, auth = authorization, bodySha256?: string) => ({
            method: "POST", rawPath: "/endpoints/local/invocations", query: {}, headers: { ...headers, authorization: auth }, body: b, host: headers.host, bodySha256,
        });
        return { now: date.getTime(), body, authorization, req };
    }

    it("accepts the reference signature and refuses it for another body, region or secret", async () => {
        const { now, body, authorization, req } = await signedInvocation();
        assert.strictEqual(await verifySigV4(req(), CREDENTIALS, now), undefined);
        const mismatch = /InvalidSignatureException/;
        assert.match(JSON.stringify(await verifySigV4(req(Buffer.from("{}")), CREDENTIALS, now)), mismatch);
        assert.match(JSON.stringify(await verifySigV4(req(body, authorization.replace("us-east-1", "eu-west-1")), CREDENTIALS, now)), mismatch);
        assert.match(JSON.stringify(await verifySigV4(req(), { ...CREDENTIALS, secretAccessKey: "other" }, now)), mismatch);
    });

    it("checks the signature against the body hash the reader computed when one is given, not a hash of its own", async () => {
        const { now, body, authorization, req } = await signedInvocation();
        assert.strictEqual(await verifySigV4(req(body, authorization, sha(body)), CREDENTIALS, now), undefined);
        assert.match(JSON.stringify(await verifySigV4(req(body, authorization, sha(Buffer.from("{}"))), CREDENTIALS, now)), /InvalidSignatureException/);
    });

    it("hashes a body given in the chunks it arrived in as the whole body", async () => {
        const { now, body, authorization, req } = await signedInvocation();
        const chunks = [body.subarray(0, 5), body.subarray(5, 6), body.subarray(6)];
        assert.strictEqual(await verifySigV4(req(chunks), CREDENTIALS, now), undefined);
        assert.match(JSON.stringify(await verifySigV4(req(chunks.slice(1)), CREDENTIALS, now)), /InvalidSignatureException/);
    });
});
