/**
 * The in-process floor of `npm run bench:serve` as a process the bench keeps: floor.py with one endpoint's worker
 * environment, models loaded once, timing N handler calls of a payload whenever asked, so its turns can alternate
 * with the endpoint's.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";

const FLOOR_PY = path.join(__dirname, "floor.py");

/** One turn of the floor: wall ms of each call and CPU ms per call. */
export interface FloorTurn { ms: number[]; cpu_ms: number }

export class FloorProcess {
    private readonly child: ChildProcess;
    private readonly dir: string;
    private readonly waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
    private stderr = "";
    private exited?: Error;

    private constructor(python: string, modelDir: string, env: NodeJS.ProcessEnv, bodies: Array<{ key: string; body: string }>) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-floor-"));
        const file = path.join(this.dir, "payloads.json");
        fs.writeFileSync(file, JSON.stringify(bodies.map((b) => ({ key: b.key, body: b.body }))));
        this.child = spawn(python, [FLOOR_PY, modelDir, file], { env, stdio: ["pipe", "pipe", "pipe"] });
        this.child.stderr!.on("data", (c: Buffer) => { this.stderr = (this.stderr + c.toString()).slice(-2000); });
        readline.createInterface({ input: this.child.stdout! }).on("line", (l) => this.waiting.shift()?.resolve(l));
        this.child.on("exit", (code) => {
            this.exited = new Error(`floor.py exited (${code}): ${this.stderr.trim().split("\n").slice(-3).join(" ")}`);
            for (const w of this.waiting.splice(0)) w.reject(this.exited);
        });
    }

    /** Starts floor.py and resolves once it has loaded the models. */
    static async start(python: string, modelDir: string, env: NodeJS.ProcessEnv, bodies: Array<{ key: string; body: string }>): Promise<FloorProcess> {
        const floor = new FloorProcess(python, modelDir, env, bodies);
        const ready = JSON.parse(await floor.next());
        if (!ready.ready) throw new Error(`floor.py: unexpected first line ${JSON.stringify(ready)}`);
        return floor;
    }

    /** Times `n` calls of the payload `key` (after a warm-up the first time). */
    async run(key: string, n: number): Promise<FloorTurn> {
        const reply = this.next();
        this.child.stdin!.write(JSON.stringify({ key, n }) + "\n");
        return JSON.parse(await reply) as FloorTurn;
    }

    close(): void {
        this.child.stdin!.end();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    private next(): Promise<string> {
        return this.exited ? Promise.reject(this.exited) : new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    }
}
