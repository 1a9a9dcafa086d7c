import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { standaloneKey, standaloneValidator, StandaloneSchema, validatorFile, verifiedCode } from "../../../jsonSchema/standalone";
import { MANIFEST_SCHEMA_FILE } from "../../../packaging/manifest";
import { MANIFEST_CASES } from "../../fixtures/manifestCorpus";

const OPTIONS = { allErrors: true, strict: true };
const schemaOf = (max: number) => JSON.stringify({ type: "object", properties: { n: { type: "integer", maximum: max } }, required: ["n"] });

describe("JSON Schema validators from ajv's standalone code kept in build/validators, never stale", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "validators-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const spec = (max: number): StandaloneSchema => ({ name: "n.schema", text: schemaOf(max), options: OPTIONS, dir });

    it("generates the validator on first use and loads the stored file afterwards", () => {
        const first = standaloneValidator(spec(5));
        assert.equal(first.generated, true);
        assert.ok(fs.existsSync(path.join(dir, "n.schema.js")));
        const again = standaloneValidator(spec(5));
        assert.equal(again.generated, false);
        assert.equal(again.validate({ n: 5 }), true);
        assert.equal(again.validate({ n: 6 }), false);
        assert.equal(again.validate.errors?.[0]?.message, "must be <= 5");
    });

    it("generates it again when the schema changed, and the new schema's verdict applies at once", () => {
        standaloneValidator(spec(5));
        const changed = standaloneValidator(spec(10));
        assert.equal(changed.generated, true);
        assert.equal(changed.validate({ n: 6 }), true);
        assert.equal(standaloneValidator(spec(10)).generated, false);
    });

    it("generates it again when the options change", () => {
        standaloneValidator(spec(5));
        assert.equal(standaloneValidator({ ...spec(5), options: { ...OPTIONS, verbose: true } }).generated, true);
    });

    it("never runs a stored file whose code was edited, truncated or has no hash line", () => {
        standaloneValidator(spec(5));
        const file = validatorFile(spec(5));
        const good = fs.readFileSync(file, "utf8");
        const trailer = good.slice(good.lastIndexOf("\n// validator-sha256 "));
        const acceptsAll = "\"use strict\";module.exports = function v() { return true; };module.exports.default = module.exports;";
        for (const bad of [acceptsAll + trailer, good.slice(0, good.length / 2), good.slice(0, good.lastIndexOf("\n// validator-sha256 ")), ""]) {
            fs.writeFileSync(file, bad);
            const v = standaloneValidator(spec(5));
            assert.equal(v.generated, true);
            assert.equal(v.validate({ n: 6 }), false, "the edited file was not used");
            assert.equal(fs.readFileSync(file, "utf8"), good, "the file was generated again");
        }
    });

    it("accepts a stored file only with the hash of the same schema and of its own code", () => {
        standaloneValidator(spec(5));
        const text = fs.readFileSync(validatorFile(spec(5)), "utf8");
        assert.ok(verifiedCode(text, standaloneKey(spec(5))));
        assert.equal(verifiedCode(text, standaloneKey(spec(10))), undefined);
        assert.equal(verifiedCode(text.replace("<=", "< "), standaloneKey(spec(5))), undefined);
    });

    it("still validates when the folder cannot be written (a read-only checkout), generating in memory", () => {
        const blocked = path.join(dir, "file-not-folder");
        fs.writeFileSync(blocked, "");
        const v = standaloneValidator({ ...spec(5), dir: blocked });
        assert.equal(v.generated, true);
        assert.equal(v.validate({ n: 6 }), false);
    });

    it("throws what ajv throws for a schema strict mode refuses", () => {
        assert.throws(() => standaloneValidator({ ...spec(5), text: JSON.stringify({ type: "object", nope: 1 }) }), /strict mode: unknown keyword: "nope"/);
    });

    it("gives the same verdicts and error objects as ajv.compile for every manifest of the corpus", () => {
        const text = fs.readFileSync(MANIFEST_SCHEMA_FILE, "utf8");
        const options = { allErrors: true, verbose: true, strict: true };
        const compiled = new Ajv2020(options).compile(JSON.parse(text));
        const { validate } = standaloneValidator({ name: "models.schema", text, options, dir });
        let compared = 0;
        for (const c of MANIFEST_CASES) {
            let doc: unknown;
            try { doc = JSON.parse(c.text); } catch { continue; }
            assert.equal(validate(doc), compiled(doc), c.what);
            assert.deepEqual(validate.errors ?? null, compiled.errors ?? null, c.what);
            compared++;
        }
        assert.ok(compared > 20, `only ${compared} cases compared`);
    });
});
