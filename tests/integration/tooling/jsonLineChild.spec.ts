/** scripts/bench/serveBench/jsonLines.ts: the bench's helper processes answered in JSON lines, and their failures. */
import * as assert from "assert";
import { spawn } from "child_process";
import { JsonLineChild } from "../../../scripts/bench/serveBench/jsonLines";

/** A Node child that answers each line with `{"got": <line>}`, prints "oops" for "bad", and exits 3 on "die". */
function echo(): JsonLineChild {
    const script = `require("readline").createInterface({ input: process.stdin }).on("line", (l) => {
        if (l === '"die"') { process.stderr.write("going\\n"); process.exit(3); }
        process.stdout.write(l === '"bad"' ? "oops\\n" : JSON.stringify({ got: JSON.parse(l) }) + "\\n");
    });`;
    return new JsonLineChild(spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe"] }), "echo");
}

describe("a bench helper process spoken to in JSON lines", () => {
    it("answers each command with its next line, parsed, in order", async () => {
        const child = echo();
        const [a, b] = await Promise.all([child.next({ n: 1 }), child.next({ n: 2 })]);
        assert.deepStrictEqual([a, b], [{ got: { n: 1 } }, { got: { n: 2 } }]);
        child.close();
    });

    it("fails a reply that is not JSON, naming the process, and goes on with the next", async () => {
        const child = echo();
        await assert.rejects(child.next("bad"), /^Error: echo: not JSON: oops$/);
        assert.deepStrictEqual(await child.next("ok"), { got: "ok" });
        child.close();
    });

    it("fails what waits and what is asked later once the process exits, with the end of its stderr", async () => {
        const child = echo();
        await assert.rejects(child.next("die"), /^Error: echo exited \(3\): going$/);
        await assert.rejects(child.next("again"), /^Error: echo exited \(3\): going$/);
    });
});
