/**
 * Talking to a local endpoint in the specs: the real AWS SDK client with the local credentials, and raw
 * (optionally SigV4-signed) HTTP requests for what the SDK would never send.
 */
import * as assert from "assert";
import * as http from "http";
import { InvokeEndpointCommand, SageMakerRuntimeClient, SageMakerRuntimeClientConfig } from "@aws-sdk/client-sagemaker-runtime";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { LocalEndpoint } from "../../local/endpoint";

export const CREDS = { accessKeyId: "local", secretAccessKey: "local-secret" };
export const JSON_TYPE = "application/json";

export function client(ep: LocalEndpoint, extra: Partial<SageMakerRuntimeClientConfig> = {}): SageMakerRuntimeClient {
    return new SageMakerRuntimeClient({ region: "eu-west-1", endpoint: ep.endpoint, credentials: CREDS, maxAttempts: 1, ...extra });
}

export async function invoke(c: SageMakerRuntimeClient, body: string, more: { ContentType?: string; Accept?: string; EndpointName?: string } = {}) {
    const res = await c.send(new InvokeEndpointCommand({ EndpointName: "local", ContentType: JSON_TYPE, Body: Buffer.from(body), ...more }));
    return { ...res, text: Buffer.from(res.Body ?? new Uint8Array()).toString("utf8") };
}

export async function rejection(p: Promise<unknown>): Promise<any> {
    try {
        await p;
    } catch (e) {
        return e;
    }
    throw new assert.AssertionError({ message: "expected the call to fail, it succeeded" });
}

/** A raw HTTP request, optionally SigV4-signed by @smithy/signature-v4, for what the SDK would never send. */
export async function raw(ep: LocalEndpoint, o: { path?: string; body?: string; sign?: boolean; tamper?: (r: HttpRequest) => void; method?: string; checksum?: boolean }) {
    const url = new URL(ep.endpoint);
    let req = new HttpRequest({
        method: o.method ?? "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port),
        path: o.path ?? "/endpoints/local/invocations",
        headers: { host: url.host, "content-type": JSON_TYPE }, body: o.body ?? "{}",
    });
    if (o.sign !== false) {
        const signer = new SignatureV4({ credentials: CREDS, region: "eu-west-1", service: "sagemaker", sha256: Hash.bind(null, "sha256"), applyChecksum: o.checksum !== false });
        req = (await signer.sign(req)) as HttpRequest;
    }
    o.tamper?.(req);
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        r.on("error", reject);
        r.end(req.body);
    });
}
