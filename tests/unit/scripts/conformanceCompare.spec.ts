/**
 * The comparisons of `npm run test:container` (scripts/conformance/conformanceCompare.ts). The check itself needs the
 * reference sources beside the repository and runs in CI after npm test; these specs need nothing outside.
 */
import * as assert from "assert";
import { Answer, comparable, comparisonProblems, ConformanceRequest, toolkitProblems } from "../../../scripts/conformance/conformanceCompare";
import { conformanceRequests } from "../../../scripts/conformance/containerConformance";

const json = (o: unknown): Answer => ({ status: 400, contentType: "application/json", body: Buffer.from(JSON.stringify(o)) });
const req = (status: number, code?: string): ConformanceRequest => ({ name: "r", contentType: "application/json", accept: null, body: Buffer.from("{}"), expect: { status, code } });

describe("container conformance comparisons", () => {
    it("finds nothing when status, Content-Type and body are equal", () => {
        const a = json({ error: { code: "malformed_json", message: "m" } });
        assert.deepStrictEqual(comparisonProblems(a, { ...a, body: Buffer.from(a.body) }), []);
    });

    it("names each of status, Content-Type and body that differ", () => {
        const a = json({ error: { code: "x", message: "m" } });
        const problems = comparisonProblems(a, { status: 500, contentType: null, body: Buffer.from("other") });
        assert.deepStrictEqual(problems.map((p) => p.split(":")[0]), ["status", "Content-Type", "body"]);
    });

    it("compares a toolkit traceback body by its message only, but requires a traceback on both sides", () => {
        const tb = (msg: string, file: string): Answer => ({ status: 500, contentType: null, body: Buffer.from(`${msg}\nTraceback (most recent call last):\n  File "${file}", line 1\n`) });
        assert.deepStrictEqual(comparable(tb("boom", "/a.py").body), { text: "boom", traceback: true });
        assert.deepStrictEqual(comparisonProblems(tb("boom", "/opt/a.py"), tb("boom", "/tmp/b.py")), []);
        assert.strictEqual(comparisonProblems(tb("boom", "/a.py"), { status: 500, contentType: null, body: Buffer.from("boom") }).length, 1);
        assert.strictEqual(comparisonProblems(tb("boom", "/a.py"), tb("bang", "/a.py")).length, 1);
    });

    it("requires every toolkit 4xx to be one JSON error document with Content-Type application/json and the expected status and code", () => {
        assert.deepStrictEqual(toolkitProblems(req(400, "malformed_json"), json({ error: { code: "malformed_json", message: "m" } })), []);
        assert.deepStrictEqual(toolkitProblems(req(400, "malformed_json"), json({ error: { code: "other", message: "m" } })), ["toolkit error code other, expected malformed_json"]);
        const raised: Answer = { status: 400, contentType: null, body: Buffer.from('{"error": {"code": "c", "message": "m"}}\nTraceback (most recent call last):\n') };
        assert.strictEqual(toolkitProblems(req(400), raised).length, 2);
        assert.strictEqual(toolkitProblems(req(400), json({ error: { code: "c", message: "m", extra: 1 } })).length, 1);
        assert.deepStrictEqual(toolkitProblems(req(200), json({ error: { code: "c", message: "m" } })), ["toolkit status 400, expected 200"]);
    });

    it("sends every corpus row that reaches the container and every smoke item alone and in the smoke test's batches", () => {
        const requests = conformanceRequests();
        const corpus = requests.filter((r) => r.name.startsWith("corpus: "));
        const smoke = requests.filter((r) => r.name.startsWith("smoke: "));
        assert.ok(corpus.length >= 70, `${corpus.length}`);
        assert.ok(corpus.every((r) => r.expect.status >= 400) && smoke.every((r) => r.expect.status === 200));
        assert.ok(corpus.some((r) => r.contentType === null), "the request without Content-Type is included");
        const items = smoke.map((r) => JSON.parse(r.body.toString()).inputs.length);
        assert.strictEqual(items.filter((n) => n === 1).length >= 112, true, `${items.filter((n) => n === 1).length} one-item requests`);
        assert.ok(items.includes(20));
    });
});
