import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkManifest, isSafeRelativePath, parseManifest, readManifest } from "../../../packaging/manifest";
import { cleanupTempDirs, tempDir, VALID_MANIFEST } from "../../support/archiveFixtures";

const F = "model-src/models.json";

/** A deep copy of the valid manifest with `edit` applied to models[i]. */
function withModel(i: number, edit: (m: Record<string, unknown>) => void): unknown {
    const copy = JSON.parse(JSON.stringify(VALID_MANIFEST)) as { models: Record<string, unknown>[] };
    edit(copy.models[i]);
    return copy;
}

function errorsOf(value: unknown): string[] {
    return checkManifest(value, F).errors;
}

describe("manifest", function () {
    after(cleanupTempDirs);

    it("accepts the manifest of the brief and returns it typed", () => {
        const { manifest, errors } = checkManifest(VALID_MANIFEST, F);
        assert.deepEqual(errors, []);
        assert.equal(manifest!.models[0].name, "fashion");
        assert.equal(manifest!.models[1].pinned, undefined);
    });

    it("names the file and the field for an unknown framework", () => {
        assert.deepEqual(errorsOf(withModel(1, (m) => { m.framework = "tf"; })),
            [`${F}: models[1].framework must be one of pytorch, sklearn, tensorflow (got "tf")`]);
    });

    it("rejects a model name that does not match the pattern", () => {
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.name = "Fashion!"; })),
            [`${F}: models[0].name must be a name matching ^[a-z][a-z0-9_-]{0,62}$ (lower-case letter first, then up to 62 of a-z 0-9 _ -) (got "Fashion!")`]);
    });

    it("rejects a repeated model name, naming both entries", () => {
        assert.deepEqual(errorsOf(withModel(1, (m) => { m.name = "fashion"; })),
            [`${F}: models[1].name "fashion" repeats models[0].name; names must be unique`]);
    });

    for (const bad of ["../model.pt", "/abs/model.pt", "a\\b.pt", "a//b.pt", "", "C:/x.pt"]) {
        it(`rejects the model path ${JSON.stringify(bad)}`, () => {
            assert.deepEqual(errorsOf(withModel(0, (m) => { m.path = bad; })),
                [`${F}: models[0].path must be a relative path inside the model directory with / separators and no ".." (got ${JSON.stringify(bad)})`]);
        });
    }

    it("accepts nested relative paths", () => {
        assert.equal(isSafeRelativePath("fashion/v1/model.pt"), true);
        assert.equal(isSafeRelativePath("fashion/../../x"), false);
    });

    it("requires a positive integer memoryBytes", () => {
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.memoryBytes = 1.5; })),
            [`${F}: models[0].memoryBytes must be a positive integer number of bytes (written without a fraction or exponent, at most 2^53 - 1) (got 1.5)`]);
        assert.deepEqual(errorsOf(withModel(0, (m) => { delete m.memoryBytes; })),
            [`${F}: models[0].memoryBytes is required; add it`]);
    });

    it("requires pinned to be a boolean when present", () => {
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.pinned = "yes"; })), [`${F}: models[0].pinned must be true or false (got "yes")`]);
    });

    it("requires a non-empty task", () => {
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.task = ""; })), [`${F}: models[0].task must be a non-empty string (got "")`]);
    });

    it("checks labels: non-empty strings, no repeats", () => {
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.labels = []; })),
            [`${F}: models[0].labels must be a non-empty array of distinct non-empty strings (class names in class-id order) (got [])`]);
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.labels = ["a", "a"]; })),
            [`${F}: models[0].labels must be a non-empty array of distinct non-empty strings (class names in class-id order) (got ["a","a"])`]);
    });

    it("checks every input field", () => {
        const errors = errorsOf(withModel(0, (m) => {
            m.input = { kind: "video", shape: [28, 0], dtype: "", range: [255, 0], maxLength: -1, maxBatch: 2.5 };
        }));
        assert.deepEqual(errors, [
            `${F}: models[0].input.kind must be one of image, text, tabular (got "video")`,
            `${F}: models[0].input.shape must be a non-empty array of positive integers (got [28,0])`,
            `${F}: models[0].input.dtype must be a non-empty string (got "")`,
            `${F}: models[0].input.maxLength must be a positive integer (got -1)`,
            `${F}: models[0].input.maxBatch must be a positive integer (got 2.5)`,
            `${F}: models[0].input.range must be [min, max] with min <= max (got [255,0])`,
        ]);
        assert.deepEqual(errorsOf(withModel(0, (m) => { m.input = "image"; })), [`${F}: models[0].input must be an object describing one input (kind, shape, dtype, range, maxLength, maxBatch) (got "image")`]);
    });

    it("reports every problem at once, across models", () => {
        const copy = withModel(0, (m) => { m.framework = "jax"; m.memoryBytes = 0; }) as { models: Record<string, unknown>[] };
        copy.models[1].name = "";
        assert.equal(errorsOf(copy).length, 3);
    });

    it("rejects a manifest without a models array, an empty one and a non-object entry", () => {
        assert.deepEqual(errorsOf({ model: [] }), [`${F}: models is required; add it`, `${F}: model is not a known field; did you mean "models"? (known: models); fix or remove it`]);
        assert.deepEqual(errorsOf({ models: [] }), [`${F}: models must be a non-empty array of model entries (got [])`]);
        assert.deepEqual(errorsOf({ models: [42] }), [`${F}: models[0] must be an object with name, framework, path, task, labels and memoryBytes (got 42)`]);
    });

    it("reports invalid JSON text with the file name", () => {
        const errors = errorsOf("{ models: ");
        assert.equal(errors.length, 1);
        assert.match(errors[0], /^model-src\/models\.json: not valid JSON \(.+\); fix the syntax$/);
    });

    it("parseManifest throws every error in one message", () => {
        const text = JSON.stringify(withModel(1, (m) => { m.framework = "tf"; m.pinned = 1; }));
        assert.throws(() => parseManifest(text, F), {
            message: `${F}: models[1].framework must be one of pytorch, sklearn, tensorflow (got "tf")\n${F}: models[1].pinned must be true or false (got 1)`,
        });
    });

    it("readManifest returns undefined without models.json and the manifest when present", () => {
        const dir = tempDir();
        assert.equal(readManifest(dir), undefined);
        fs.writeFileSync(path.join(dir, "models.json"), JSON.stringify(VALID_MANIFEST));
        assert.deepEqual(readManifest(dir), VALID_MANIFEST);
        fs.writeFileSync(path.join(dir, "models.json"), "[]");
        assert.throws(() => readManifest(dir), { message: `${path.join(dir, "models.json")}: the manifest must be an object {"models": [...]} (got [])` });
    });
});
