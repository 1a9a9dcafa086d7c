import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildModelArchive } from "../../../packaging/modelArchive";
import { missingHandlers, topLevelFunctions, validateModelDir } from "../../../packaging/modelDir";
import { cleanupTempDirs, makeModelDir, tempDir, VALID_INFERENCE, VALID_MANIFEST, validModelFiles } from "../../support/archiveFixtures";

describe("validateModelDir", function () {
    after(cleanupTempDirs);

    it("accepts a complete model directory and returns its manifest", () => {
        const r = validateModelDir(makeModelDir());
        assert.deepEqual([r.errors, r.warnings], [[], []]);
        assert.deepEqual(r.manifest, VALID_MANIFEST);
    });

    it("accepts a directory without models.json (no manifest yet)", () => {
        const files = validModelFiles();
        delete files["models.json"];
        const r = validateModelDir(makeModelDir(files));
        assert.deepEqual([r.errors, r.warnings, r.manifest], [[], [], undefined]);
    });

    it("reports a missing model directory", () => {
        const missing = path.join(tempDir(), "nope");
        assert.deepEqual(validateModelDir(missing).errors,
            [`${missing}: model directory does not exist; create it with code/inference.py (and models.json), or point to it`]);
    });

    it("reports a file given as the model directory", () => {
        const file = path.join(tempDir(), "file");
        fs.writeFileSync(file, "x");
        assert.deepEqual(validateModelDir(file).errors,
            [`${file}: model directory is not a directory; create it with code/inference.py (and models.json), or point to it`]);
    });

    it("reports a missing code/inference.py", () => {
        const files = validModelFiles();
        delete files["code/inference.py"];
        const dir = makeModelDir(files);
        assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "code/inference.py")}: missing; the PyTorch serving container runs `
            + "code/inference.py (SAGEMAKER_PROGRAM=inference.py), create it with model_fn and transform_fn (or model_fn, input_fn, predict_fn, output_fn)"]);
    });

    it("names every handler not defined at top level, ignoring indented (nested or method) definitions", () => {
        const source = [
            "def model_fn(model_dir):", "    pass",
            "class Handler:", "    def input_fn(self, body, ct):", "        pass",
            "def outer():", "    def predict_fn(x):", "        pass",
            "# def output_fn(p, a):",
        ].join("\n");
        const dir = makeModelDir({ ...validModelFiles(), "code/inference.py": source });
        assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "code/inference.py")}: does not define input_fn, predict_fn, output_fn `
            + "at top level; add `def input_fn(...)` starting in column 0 for each (or one transform_fn instead of input_fn, predict_fn, output_fn)"]);
    });

    it("accepts model_fn with transform_fn, and refuses transform_fn beside any of input_fn, predict_fn, output_fn as the toolkit does", () => {
        const ok = makeModelDir({ ...validModelFiles(), "code/inference.py": "def model_fn(d):\n    pass\ndef transform_fn(m, b, c, a, ctx):\n    pass\n" });
        assert.deepEqual(validateModelDir(ok).errors, []);
        const both = makeModelDir({ ...validModelFiles(), "code/inference.py": "def model_fn(d):\n    pass\ndef transform_fn(m, b, c, a):\n    pass\ndef output_fn(p, a):\n    pass\n" });
        assert.deepEqual(validateModelDir(both).errors, [`${path.join(both, "code/inference.py")}: defines transform_fn and also output_fn; `
            + "the serving toolkit refuses that module at start (ValueError), remove it or transform_fn"]);
        assert.deepEqual(missingHandlers("def transform_fn(m, b, c, a):\n"), ["model_fn"]);
    });

    it("finds top-level def and async def lines only", () => {
        assert.deepEqual(topLevelFunctions("async def model_fn(d):\n  def input_fn(x):\ndef  predict_fn (x):\ndefoutput_fn(x):\n"), ["model_fn", "predict_fn"]);
        assert.deepEqual(missingHandlers(VALID_INFERENCE), []);
        assert.deepEqual(missingHandlers("def model_fn(x):\r\ndef input_fn(x):\r\n"), ["predict_fn", "output_fn"]);
    });

    it("warns when code/requirements.txt is missing", () => {
        const files = validModelFiles();
        delete files["code/requirements.txt"];
        const dir = makeModelDir(files);
        const r = validateModelDir(dir);
        assert.deepEqual(r.errors, []);
        assert.deepEqual(r.warnings, [`${path.join(dir, "code/requirements.txt")}: missing; the container installs nothing extra. `
            + "Add it (one pip requirement a line) if inference.py imports packages the image lacks"]);
    });

    it("reports each model file the manifest names but the directory lacks", () => {
        const files = validModelFiles();
        delete files["sentiment/model.joblib"];
        const dir = makeModelDir(files);
        const manifestFile = path.join(dir, "models.json");
        assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "sentiment/model.joblib")}: models[1] ("sentiment") names path `
            + `"sentiment/model.joblib" but no such file exists in ${dir}; train/copy the model there or fix models[1].path in ${manifestFile}`]);
    });

    describe("tensorflow models (a SavedModel directory)", () => {
        const TF_ENTRY = { name: "tfmodel", framework: "tensorflow", path: "tfmodel/1", task: "image-classification",
            labels: ["a", "b"], memoryBytes: 1000 };
        const tfFiles = (extra: Record<string, string>): Record<string, Buffer | string> => ({
            ...validModelFiles(),
            "models.json": JSON.stringify({ models: [...VALID_MANIFEST.models, TF_ENTRY] }),
            ...extra,
        });

        it("accepts a tensorflow path that is a directory holding saved_model.pb", () => {
            const dir = makeModelDir(tfFiles({ "tfmodel/1/saved_model.pb": "pb", "tfmodel/1/variables/variables.index": "idx" }));
            const r = validateModelDir(dir);
            assert.deepEqual(r.errors, []);
            assert.equal(r.manifest?.models[2].path, "tfmodel/1");
        });

        it("rejects a tensorflow path that is a file, naming the path and the fix", () => {
            const dir = makeModelDir(tfFiles({ "tfmodel/1": "not a SavedModel" }));
            assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "tfmodel/1")}: models[2] ("tfmodel") is framework "tensorflow", `
                + `so path "tfmodel/1" must be a SavedModel directory (containing saved_model.pb) but it is not a directory in ${dir}; `
                + `save the model there with tf.saved_model.save (or model.export) or fix models[2].path in ${path.join(dir, "models.json")}`]);
        });

        it("rejects a missing tensorflow path", () => {
            const dir = makeModelDir(tfFiles({}));
            assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "tfmodel/1")}: models[2] ("tfmodel") is framework "tensorflow", `
                + `so path "tfmodel/1" must be a SavedModel directory (containing saved_model.pb) but it does not exist in ${dir}; `
                + `save the model there with tf.saved_model.save (or model.export) or fix models[2].path in ${path.join(dir, "models.json")}`]);
        });

        it("rejects a tensorflow directory without saved_model.pb", () => {
            const dir = makeModelDir(tfFiles({ "tfmodel/1/variables/variables.index": "idx" }));
            assert.deepEqual(validateModelDir(dir).errors, [`${path.join(dir, "tfmodel/1/saved_model.pb")}: missing; models[2] ("tfmodel") is `
                + `framework "tensorflow", so "tfmodel/1" must be a SavedModel directory; save the model there with tf.saved_model.save `
                + `(or model.export) or fix models[2].path in ${path.join(dir, "models.json")}`]);
        });

        it("packs the whole SavedModel directory into the archive", async () => {
            const dir = makeModelDir(tfFiles({ "tfmodel/1/saved_model.pb": "pb", "tfmodel/1/variables/variables.index": "idx" }));
            const r = await buildModelArchive(dir, path.join(tempDir(), "model.tar.gz"));
            assert.ok(r.files.includes("tfmodel/1/saved_model.pb") && r.files.includes("tfmodel/1/variables/variables.index"), r.files.join(","));
        });

        it("still requires a file for other frameworks (a directory is rejected)", () => {
            const files = validModelFiles();
            delete files["sentiment/model.joblib"];
            const dir = makeModelDir({ ...files, "sentiment/model.joblib/saved_model.pb": "pb" });
            assert.match(validateModelDir(dir).errors.join("\n"), /models\[1\] \("sentiment"\) names path "sentiment\/model\.joblib" but no such file exists/);
        });
    });

    it("passes on manifest schema errors with the manifest's path and returns no manifest", () => {
        const dir = makeModelDir({ ...validModelFiles(), "models.json": JSON.stringify({ models: [{ ...VALID_MANIFEST.models[0], framework: "tf" }] }) });
        const r = validateModelDir(dir);
        assert.deepEqual(r.errors, [`${path.join(dir, "models.json")}: models[0].framework must be one of pytorch, sklearn, tensorflow (got "tf")`]);
        assert.equal(r.manifest, undefined);
    });

    it("reports every problem at once", () => {
        const dir = makeModelDir({ "models.json": JSON.stringify(VALID_MANIFEST) });
        const r = validateModelDir(dir);
        assert.equal(r.errors.length, 3, r.errors.join("\n")); // inference.py + two model files
        assert.equal(r.warnings.length, 1);
    });

    it("never throws, even for an unreadable manifest", () => {
        const dir = makeModelDir();
        fs.rmSync(path.join(dir, "models.json"));
        fs.mkdirSync(path.join(dir, "models.json"));
        const r = validateModelDir(dir);
        assert.equal(r.errors.length, 1);
        assert.match(r.errors[0], /models\.json: cannot be read \(EISDIR.*\); make it a readable JSON file$/);
    });
});

describe("the static handler check reads Python, not text", () => {
    it("ignores a def inside a string or a comment, and accepts handlers bound by assignment or import", () => {
        const src = [
            "DOC = \"\"\"",
            "def predict_fn(data, model):",
            "\"\"\"",
            "# def output_fn(prediction, accept):",
            "def model_fn(model_dir):",
            "    return None",
            "predict_fn = _impl",
            "from handlers import input_fn",
            "from handlers import render as output_fn",
        ].join("\n");
        assert.deepEqual(missingHandlers(src), []);
        assert.deepEqual(missingHandlers("s = 'def predict_fn('\n# def input_fn(\n"), ["model_fn", "input_fn", "predict_fn", "output_fn"]);
    });
});
