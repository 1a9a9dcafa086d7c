/** Starts `npm start` on a free port for the docs' examples and generated blocks; stops its whole process group. */
import { spawn } from "child_process";
import * as readline from "readline";
import { REPO } from "./blocks";
import type { Endpoint } from "./generators";

export interface Started { endpoint: Endpoint; stderr: () => string; stop: () => Promise<void> }

export async function startNpmStart(timeoutMs = 180000): Promise<Started> {
    const proc = spawn("npm", ["start"], { cwd: REPO, env: { ...process.env, PORT: "0" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    proc.stderr!.on("data", (c) => (err += c));
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    const stop = async () => {
        if (proc.exitCode !== null) return;
        try { process.kill(-proc.pid!, "SIGINT"); } catch { /* gone */ }
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10000))]);
        if (!done) { try { process.kill(-proc.pid!, "SIGKILL"); } catch { /* gone */ } await exited; }
    };
    try {
        const readyLine = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`npm start was not ready within ${timeoutMs / 1000} s:\n${err}`)), timeoutMs);
            readline.createInterface({ input: proc.stdout! }).on("line", (l) => { if (l.startsWith("ready ")) { clearTimeout(timer); resolve(l); } });
            exited.then((code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${code} before ready:\n${err}`)); });
        });
        const m = /^ready (http:\/\/127\.0\.0\.1:(\d+))\//.exec(readyLine);
        if (!m) throw new Error(`unexpected ready line: ${readyLine}`);
        return { endpoint: { url: m[1], port: Number(m[2]), readyLine }, stderr: () => err, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}
