import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildComponentArchive, filesForModel, manifestForModel, syncStageDir } from "../../../packaging/componentArchives";
import type { Manifest, ModelEntry } from "../../../packaging/manifest";

const entry = (name: string, p: string, framework: ModelEntry["framework"] = "pytorch"): ModelEntry =>
    ({ name, framework, path: p, task: "t", labels: ["a"], memoryBytes: 1 });
const dirs: string[] = [];
after(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
function tree(files: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "component-archives-"));
    dirs.push(root);
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
    }
    return root;
}

describe("per-model archives: which files each model's archive holds", () => {
    const files = ["code/inference.py", "code/requirements.txt", "models.json", "README.txt", "fashion/model.pt", "fashion/labels.txt",
        "sentiment/model.joblib", "shared/vocab.txt", "models/a.pt", "models/b.pt", "solo.pt", "tf/saved/saved_model.pb", "tf/saved/variables/v.data"];
    const manifest: Manifest = { models: [entry("fashion", "fashion/model.pt"), entry("sentiment", "sentiment/model.joblib", "sklearn"),
        entry("a", "models/a.pt"), entry("b", "models/b.pt"), entry("solo", "solo.pt"), entry("tf", "tf/saved", "tensorflow")] };

    it("keeps the model's folder, code/ and shared files, and drops other models' folders and models.json", () => {
        assert.deepStrictEqual(filesForModel(files, manifest, "fashion"),
            ["code/inference.py", "code/requirements.txt", "README.txt", "fashion/model.pt", "fashion/labels.txt", "shared/vocab.txt"]);
    });

    it("keeps a folder two models share but not the other model's file in it", () => {
        assert.deepStrictEqual(filesForModel(files, manifest, "a").filter((f) => f.startsWith("models/")), ["models/a.pt"]);
    });

    it("handles a model file at the top level and a SavedModel directory", () => {
        const solo = filesForModel(files, manifest, "solo");
        assert.ok(solo.includes("solo.pt") && !solo.some((f) => f.startsWith("tf/") || f.startsWith("fashion/")));
        assert.deepStrictEqual(filesForModel(files, manifest, "tf").filter((f) => f.startsWith("tf/")), ["tf/saved/saved_model.pb", "tf/saved/variables/v.data"]);
        assert.ok(!filesForModel(files, manifest, "fashion").includes("solo.pt"));
    });

    it("writes a models.json listing only that model, other manifest fields kept", () => {
        const text = manifestForModel({ ...manifest, note: "x" } as Manifest, "sentiment");
        assert.deepStrictEqual(JSON.parse(text), { models: [manifest.models[1]], note: "x" });
        assert.throws(() => manifestForModel(manifest, "nope"), /no model "nope"/);
    });
});

describe("per-model archives: the staging folder and the archive cache", function () {
    this.timeout(60000);

    it("stages symbolic links to the originals, changing nothing when nothing changed, so the second build is a cache hit", async () => {
        const dir = tree({ "code/inference.py": "x\n", "a/model.pt": "a1\n", "b/model.pt": "b1\n",
            "models.json": JSON.stringify({ models: [entry("a", "a/model.pt"), entry("b", "b/model.pt")] }) });
        const build = fs.mkdtempSync(path.join(os.tmpdir(), "component-build-"));
        dirs.push(build);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "models.json"), "utf8")) as Manifest;
        const first = await buildComponentArchive(dir, manifest, "a", build);
        const stage = path.join(build, "components", "a", "src");
        assert.strictEqual(fs.readlinkSync(path.join(stage, "a", "model.pt")), path.join(dir, "a", "model.pt"));
        assert.ok(!fs.existsSync(path.join(stage, "b")));
        await new Promise((r) => setTimeout(r, 50)); // the staged files are now older than any build's start
        const again = await buildComponentArchive(dir, manifest, "a", build);
        assert.strictEqual(again.sha256, first.sha256);
        const stable = path.join(build, "components", "a", "archive", "model.tar.gz");
        assert.ok(fs.existsSync(`${stable}.cache.json`), "cache record written");
        const mtime = fs.statSync(stable).mtimeMs;
        await new Promise((r) => setTimeout(r, 20));
        assert.strictEqual((await buildComponentArchive(dir, manifest, "a", build)).sha256, first.sha256);
        assert.strictEqual(fs.statSync(stable).mtimeMs, mtime, "nothing packed again: the cache was hit (the staging changed nothing)");
        fs.writeFileSync(path.join(dir, "b", "model.pt"), "b2\n");
        assert.strictEqual((await buildComponentArchive(dir, manifest, "a", build)).sha256, first.sha256, "another model's change leaves a's archive");
        fs.writeFileSync(path.join(dir, "a", "model.pt"), "a2\n");
        assert.notStrictEqual((await buildComponentArchive(dir, manifest, "a", build)).sha256, first.sha256);
    });

    it("removes staged files that left the model and replaces a link that points elsewhere", () => {
        const dir = tree({ "x/one": "1", "x/two": "2" });
        const stage = path.join(tree({}), "stage");
        syncStageDir(dir, stage, ["x/one", "x/two"], "{}\n");
        syncStageDir(dir, stage, ["x/one"], "{\"models\":[]}\n");
        assert.deepStrictEqual(fs.readdirSync(path.join(stage, "x")), ["one"]);
        assert.strictEqual(fs.readFileSync(path.join(stage, "models.json"), "utf8"), "{\"models\":[]}\n");
        fs.rmSync(path.join(stage, "x", "one"));
        fs.symlinkSync(path.join(dir, "x", "two"), path.join(stage, "x", "one"));
        syncStageDir(dir, stage, ["x/one"], "{}\n");
        assert.strictEqual(fs.readlinkSync(path.join(stage, "x", "one")), path.join(dir, "x", "one"));
    });
});
