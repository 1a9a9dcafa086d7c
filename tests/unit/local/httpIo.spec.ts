/** local/api/httpIo.ts readBody: the body's chunks, its length and its SHA-256 hashed chunk by chunk, and the early stop past the limit. */
import * as assert from "assert";
import * as crypto from "crypto";
import type * as http from "http";
import { PassThrough } from "stream";
import { readBody } from "../../../local/api/httpIo";

/** A request stream stand-in: a PassThrough with IncomingMessage's `complete` flag, set when the body ended. */
function request(chunks: Buffer[]): http.IncomingMessage {
    const stream = new PassThrough() as PassThrough & { complete: boolean };
    stream.complete = false;
    stream.on("end", () => { stream.complete = true; });
    setImmediate(() => { for (const c of chunks) stream.write(c); stream.end(); });
    return stream as unknown as http.IncomingMessage;
}

describe("reading a request body", () => {
    it("returns the chunks as they arrived, unjoined, and the SHA-256 of all of them, hashed as they arrived", async () => {
        const chunks = [Buffer.from("{\"model\":"), Buffer.alloc(100000, 0x61), Buffer.from("\"}")];
        const whole = Buffer.concat(chunks);
        const read = await readBody(request(chunks), 6 * 1024 * 1024);
        assert.deepStrictEqual({ ...read, chunks: Buffer.concat(read.chunks).equals(whole) },
            { chunks: true, bytes: whole.length, tooLarge: false, sha256: crypto.createHash("sha256").update(whole).digest("hex") });
        assert.strictEqual(read.chunks.length, 3, "no chunk joined to another");
    });

    it("hashes an empty body as the SHA-256 of nothing", async () => {
        const read = await readBody(request([]), 10);
        assert.strictEqual(read.sha256, crypto.createHash("sha256").digest("hex"));
        assert.strictEqual(read.bytes, 0);
    });

    it("stops at the chunk that passes the limit and keeps nothing of the body", async () => {
        const read = await readBody(request([Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)]), 10);
        assert.deepStrictEqual({ tooLarge: read.tooLarge, bytes: read.bytes, kept: read.chunks.length }, { tooLarge: true, bytes: 16, kept: 0 });
    });
});
