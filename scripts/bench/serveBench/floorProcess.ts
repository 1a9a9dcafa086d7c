/**
 * The in-process floor of `npm run bench:serve` as a process the bench keeps: floor.py with one endpoint's worker
 * environment, models loaded once, timing N handler calls of a payload whenever asked, so its turns can alternate
 * with the endpoint's.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { JsonLineChild } from "./jsonLines";

const FLOOR_PY = path.join(__dirname, "floor.py");

/** One turn of the floor: wall ms of each call and CPU ms per call. */
export interface FloorTurn { ms: number[]; cpu_ms: number }

export class FloorProcess {
    private readonly dir: string;
    private readonly lines: JsonLineChild;

    private constructor(python: string, modelDir: string, env: NodeJS.ProcessEnv, bodies: Array<{ key: string; body: string }>) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-floor-"));
        const file = path.join(this.dir, "payloads.json");
        fs.writeFileSync(file, JSON.stringify(bodies.map((b) => ({ key: b.key, body: b.body }))));
        this.lines = new JsonLineChild(spawn(python, [FLOOR_PY, modelDir, file], { env, stdio: ["pipe", "pipe", "pipe"] }), "floor.py");
    }

    /** Starts floor.py and resolves once it has loaded the models. */
    static async start(python: string, modelDir: string, env: NodeJS.ProcessEnv, bodies: Array<{ key: string; body: string }>): Promise<FloorProcess> {
        const floor = new FloorProcess(python, modelDir, env, bodies);
        const ready = await floor.lines.next<{ ready?: boolean }>();
        if (!ready.ready) throw new Error(`floor.py: unexpected first line ${JSON.stringify(ready)}`);
        return floor;
    }

    /** Times `n` calls of the payload `key` (after a warm-up the first time). */
    run(key: string, n: number): Promise<FloorTurn> {
        return this.lines.next<FloorTurn>({ key, n });
    }

    close(): void {
        this.lines.close();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
