/**
 * The stand-in path of `npm run bench:serve`: the SDK -> a runtime API process (standinApi.ts, the same code and
 * environment as the tuned endpoint's) -> a stand-in model server (standin.py: the model server's HTTP side, busy for a
 * set time, then the payload's real answer). With the stand-in busy for the handler's in-process p50, its latency is
 * what this request path costs on this machine around a handler of that duration: a floor for the end-to-end ratio.
 */
import { spawn } from "child_process";
import * as path from "path";
import { JsonLineChild } from "./jsonLines";

const REPO = path.resolve(__dirname, "..", "..", "..");

export class StandInPath {
    private constructor(private readonly server: JsonLineChild, private readonly api: JsonLineChild, readonly url: string) {}

    /** Starts both processes: the stand-in with `python`, the runtime API with `apiEnv` (the tuned API's environment). */
    static async start(python: string, apiEnv: NodeJS.ProcessEnv): Promise<StandInPath> {
        const server = new JsonLineChild(spawn(python, [path.join(__dirname, "standin.py")], { stdio: ["pipe", "pipe", "pipe"] }), "standin.py");
        let api: JsonLineChild | undefined;
        try {
            const { port } = await server.next<{ port: number }>();
            api = new JsonLineChild(spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "standinApi.ts"),
                `http://127.0.0.1:${port}`], { cwd: REPO, env: apiEnv, stdio: ["pipe", "pipe", "pipe"] }), "standinApi.ts");
            return new StandInPath(server, api, (await api.next<{ url: string }>()).url);
        } catch (err) {
            api?.close();
            server.close();
            throw err;
        }
    }

    /** A body of `length` bytes now keeps the stand-in busy for `busyMs`, then gets `answer`. */
    async set(length: number, busyMs: number, answer: string): Promise<void> {
        await this.server.next({ length, busy_ms: busyMs, answer });
    }

    close(): void {
        this.api.close();
        this.server.close();
    }
}
