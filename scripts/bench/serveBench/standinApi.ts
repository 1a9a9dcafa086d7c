/**
 * The runtime API of `npm run bench:serve`'s stand-in path in its own process, as `npm start` runs it: the same
 * local/api/runtimeApi.ts, endpoint `local`, the default credentials and invocation limit, in front of the model
 * server whose base URL is the argument (the bench's stand-in, standin.py). Prints `{"url": "http://127.0.0.1:PORT"}`
 * once it listens on a free loopback port; exits when stdin closes.
 *
 * Usage: node -r ts-node/register/transpile-only scripts/bench/serveBench/standinApi.ts http://127.0.0.1:PORT
 * (the bench starts it; see standinPath.ts).
 */
import type { AddressInfo } from "net";
import { createRuntimeApi } from "../../../local/api/runtimeApi";
import { DEFAULT_CREDENTIALS, INVOKE_LIMIT_MS, listenOn } from "../../../local/endpoint";

const HELP = `usage: standinApi.ts http://127.0.0.1:PORT

The runtime API of npm run bench:serve's stand-in path, in front of the model server at that loopback base URL (the
bench's stand-in, standin.py). Prints {"url": "http://127.0.0.1:PORT"} once it listens; exits when stdin closes.

examples:
  node -r ts-node/register/transpile-only scripts/bench/serveBench/standinApi.ts http://127.0.0.1:41725`;

async function main(args: string[]): Promise<void> {
    if (args.includes("--help") || args.includes("-h")) { process.stdout.write(HELP + "\n"); return; }
    const [modelServerUrl] = args;
    if (args.length !== 1 || !/^http:\/\/127\.0\.0\.1:\d+$/.test(modelServerUrl)) {
        throw new Error(`expected one argument, the stand-in model server's base URL http://127.0.0.1:PORT, got ${JSON.stringify(args.join(" "))}; see --help`);
    }
    const api = createRuntimeApi({ endpointName: "local", credentials: DEFAULT_CREDENTIALS, modelServerUrl, containerTimeoutMs: INVOKE_LIMIT_MS,
        log: (l) => process.stderr.write(`standin-api | ${l}\n`) });
    await listenOn(api.server, 0, "127.0.0.1");
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}` }) + "\n");
    process.stdin.resume();
    process.stdin.on("end", () => { api.server.closeAllConnections(); api.server.close(); });
}

main(process.argv.slice(2)).catch((err: Error) => { process.stderr.write(`standinApi.ts: ${err.message}\n`); process.exit(2); });
