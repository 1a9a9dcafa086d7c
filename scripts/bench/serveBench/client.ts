/**
 * The load client of `npm run bench:serve`, run as its own process (so its CPU is not the API's): reads one
 * JSON command per stdin line, sends signed InvokeEndpointCommand requests with
 * `@aws-sdk/client-sagemaker-runtime` (maxAttempts 1: no retries) and answers one JSON line per command
 * with the latencies, errors, wall time and this process's CPU time (process.cpuUsage) for that command.
 *
 * Command: { endpoint, endpointName, bodies: [{ key, model, body }], requests, concurrency, mode }; the bodies are
 * sent round-robin. Mode "sdk" (the default) sends InvokeEndpointCommand to the runtime API at `endpoint`; mode
 * "http" posts the bare body to `endpoint`/invocations (a model server, as the runtime API forwards it) with Node's
 * http client on keep-alive connections, no signing. An empty line or EOF ends the process.
 */
import * as http from "http";
import * as readline from "readline";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";

export interface ClientCommand {
    endpoint: string;
    endpointName: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    bodies: Array<{ key: string; model: string; body: string }>;
    requests: number;
    concurrency: number;
    /** @default "sdk" */
    mode?: "sdk" | "http";
}

export interface ClientReply {
    /** Latency in ms of every successful request, by body key. */
    latencies: Record<string, number[]>;
    errors: number;
    firstErrors: string[];
    seconds: number;
    /** CPU time of this client process during the command, in ms (user + system). */
    cpuMs: number;
}

const clients = new Map<string, SageMakerRuntimeClient>();

function clientFor(c: ClientCommand): SageMakerRuntimeClient {
    let client = clients.get(c.endpoint);
    if (!client) {
        client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: c.endpoint, maxAttempts: 1, credentials: c.credentials });
        clients.set(c.endpoint, client);
    }
    return client;
}

const agent = new http.Agent({ keepAlive: true });

/** POST /invocations with the body as the runtime API forwards it; resolves the answer's bytes (rejects a non-200). */
export function postInvocation(base: string, body: Buffer): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
        const req = http.request(`${base}/invocations`, { method: "POST", agent, headers: {
            "content-type": "application/json", accept: "application/json", "content-length": String(body.length) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks))
                : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 200)}`))));
        });
        req.on("error", reject);
        req.end(body);
    });
}

/** One request of the command's mode; resolves the answer's bytes. */
function sender(c: ClientCommand): (body: Buffer) => Promise<Uint8Array> {
    if (c.mode === "http") return (body) => postInvocation(c.endpoint, body);
    const client = clientFor(c);
    return async (body) => (await client.send(new InvokeEndpointCommand({
        EndpointName: c.endpointName, ContentType: "application/json", Accept: "application/json", Body: body,
    }))).Body ?? new Uint8Array();
}

export async function runCommand(c: ClientCommand): Promise<ClientReply> {
    const send = sender(c);
    const latencies: Record<string, number[]> = {};
    const firstErrors: string[] = [];
    let errors = 0;
    let next = 0;
    const payloads = c.bodies.map((b) => ({ ...b, bytes: Buffer.from(b.body) }));
    const worker = async () => {
        while (next < c.requests) {
            const { key, model, bytes } = payloads[next++ % payloads.length];
            const started = performance.now();
            try {
                const answer = await send(bytes);
                const ms = performance.now() - started;
                const out = JSON.parse(Buffer.from(answer).toString("utf8"));
                if (out.model !== model || !Array.isArray(out.predictions)) throw new Error(`unexpected answer ${JSON.stringify(out).slice(0, 120)}`);
                (latencies[key] ??= []).push(ms);
            } catch (e) {
                errors++;
                if (firstErrors.length < 5) firstErrors.push(`${key}: ${(e as Error).name}: ${(e as Error).message}`.slice(0, 300));
            }
        }
    };
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: c.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { latencies, errors, firstErrors, seconds, cpuMs: (used.user + used.system) / 1000 };
}

if (require.main === module) {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let queue = Promise.resolve();
    lines.on("line", (line) => {
        if (line.trim() === "") { lines.close(); return; }
        queue = queue.then(async () => {
            const reply = await runCommand(JSON.parse(line) as ClientCommand).catch((e: Error) => ({ fatal: e.message }));
            process.stdout.write(JSON.stringify(reply) + "\n");
        });
    });
    lines.on("close", () => { queue.then(() => { for (const c of clients.values()) c.destroy(); agent.destroy(); process.exit(0); }); });
}
