/**
 * One schema, two checkers: every manifest of tests/fixtures/manifestCorpus.ts gets the same verdict from
 * the deploy side (checkManifest, ajv) and from the handler's standard-library interpreter
 * (model-src/code/manifest_schema.py, run with Debian's /usr/bin/python3), and the verdict the corpus expects.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { checkManifest, MANIFEST_SCHEMA_FILE } from "../../../packaging/manifest";
import { PYTHON } from "../../../local/endpoint";
import { MANIFEST_CASES } from "../../fixtures/manifestCorpus";

const CODE_DIR = path.dirname(MANIFEST_SCHEMA_FILE);
const PY = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(CODE_DIR)})`,
    "import manifest_schema",
    "schema = manifest_schema.load_schema()",
    "print(json.dumps([manifest_schema.check_text(t, schema)[1] for t in json.load(sys.stdin)]))",
].join("\n");

describe("models.json: one schema, the same verdict in TypeScript and in the handler", function () {
    this.timeout(30000);
    let python: string[][] = [];
    before(() => {
        python = JSON.parse(execFileSync(PYTHON, ["-c", PY], { input: JSON.stringify(MANIFEST_CASES.map((c) => c.text)) }).toString("utf8"));
    });

    it("holds valid and invalid manifests, each described once", () => {
        assert.ok(MANIFEST_CASES.filter((c) => c.valid).length >= 5 && MANIFEST_CASES.filter((c) => !c.valid).length >= 25);
        assert.strictEqual(new Set(MANIFEST_CASES.map((c) => c.what)).size, MANIFEST_CASES.length);
    });

    it("ships the schema inside the model directory's code/ folder, beside the handler that reads it", () => {
        assert.ok(fs.existsSync(path.join(CODE_DIR, "manifest_schema.py")));
        assert.strictEqual(path.basename(path.dirname(CODE_DIR)), "model-src");
    });

    MANIFEST_CASES.forEach((c, i) => {
        it(`${c.valid ? "accepts" : "refuses"} ${c.what} on both sides`, () => {
            const ts = checkManifest(c.text, "models.json").errors;
            assert.strictEqual(ts.length === 0, c.valid, `TypeScript: ${ts.join("; ") || "accepted"}`);
            assert.strictEqual(python[i].length === 0, c.valid, `Python: ${python[i].join("; ") || "accepted"}`);
            for (const e of ts) assert.ok(!e.includes("\n"), `one line per problem: ${e}`);
        });
    });

    it("suggests the field a misspelt key was meant to be, on both sides", () => {
        const i = MANIFEST_CASES.findIndex((c) => c.what.includes("pined"));
        assert.match(checkManifest(MANIFEST_CASES[i].text, "models.json").errors.join("\n"), /pined is not a known field; did you mean "pinned"\?/);
        assert.match(python[i].join("\n"), /pined is not a known field; did you mean 'pinned'\?/);
    });
});
