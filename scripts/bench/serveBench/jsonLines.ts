/**
 * A child process spoken to in JSON lines, as the bench's helper processes are (the load client, the floor): each
 * reply is the next line of its stdout, parsed; a line that is not JSON fails what waits for it, and the process
 * exiting fails everything that waits and everything asked later (with the end of its stderr when that is piped).
 */
import type { ChildProcess } from "child_process";
import * as readline from "readline";

export class JsonLineChild {
    private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
    private exited?: Error;
    private stderrTail = "";

    constructor(private readonly child: ChildProcess, private readonly name: string) {
        child.stderr?.on("data", (c: Buffer) => { this.stderrTail = (this.stderrTail + c.toString()).slice(-2000); });
        readline.createInterface({ input: child.stdout! }).on("line", (l) => {
            const w = this.waiting.shift();
            let value: unknown;
            try { value = JSON.parse(l); } catch { w?.reject(new Error(`${name}: not JSON: ${l.slice(0, 200)}`)); return; }
            w?.resolve(value);
        });
        child.on("close", (code) => { // after its stdio closed: the end of stderr is in
            const tail = this.stderrTail.trim().split("\n").slice(-3).join(" ");
            this.exited = new Error(`${name} exited (${code})${tail ? `: ${tail}` : ""}`);
            for (const w of this.waiting.splice(0)) w.reject(this.exited);
        });
    }

    /** The next line, parsed; `command`, when given, is written as one line first. */
    next<T>(command?: unknown): Promise<T> {
        if (this.exited) return Promise.reject(this.exited);
        const reply = new Promise<T>((resolve, reject) => this.waiting.push({ resolve: resolve as (v: unknown) => void, reject }));
        if (command !== undefined) this.child.stdin!.write(JSON.stringify(command) + "\n");
        return reply;
    }

    /** Ends its stdin, writing `last` first (the load client stops on an empty line). */
    close(last = ""): void {
        this.child.stdin!.end(last);
    }
}
