/**
 * One archive per model for the components topology: the model directory with only that model's files,
 * the same `code/` and any shared files, and a models.json listing only that model. Built by the same
 * archive code as the router's archive (buildModelArchive via buildArchiveInto) from a staging folder of
 * symbolic links to the original files, so the archive cache sees the originals' stat and unchanged
 * models cost nothing on the next preview; content-addressed like the router's archive.
 */
import * as fs from "fs";
import * as path from "path";
import { buildArchiveInto, BuiltArchive } from "./archiveInto";
import { listArchiveEntries } from "./archiveEntries";
import { Manifest, MANIFEST_FILE, ModelEntry } from "./manifest";
import type { ArchiveProgress } from "./modelArchive";

const top = (p: string) => p.split("/")[0];
const within = (file: string, p: string) => file === p || file.startsWith(`${p}/`);

/**
 * Pure: the files (posix paths relative to the model directory) of `model`'s archive, models.json excluded
 * (it is rewritten): every file except the other models' files and the top-level folders only they use.
 */
export function filesForModel(files: readonly string[], manifest: Manifest, model: string): string[] {
    const me = manifest.models.find((m) => m.name === model);
    if (!me) throw new Error(`filesForModel: no model "${model}" in the manifest`);
    const others = manifest.models.filter((m) => m.name !== model);
    const mine = new Set(manifest.models.filter((m) => m.name === model).map((m) => top(m.path)));
    const excluded = (f: string) => others.some((o) => (within(f, o.path) && !within(f, me.path)) ||
        (o.path.includes("/") && !mine.has(top(o.path)) && within(f, top(o.path))));
    return files.filter((f) => f !== MANIFEST_FILE && !excluded(f));
}

/** Pure: the models.json text of `model`'s archive (the manifest's other fields kept, models = that one). */
export function manifestForModel(manifest: Manifest, model: string): string {
    const entry: ModelEntry | undefined = manifest.models.find((m) => m.name === model);
    if (!entry) throw new Error(`manifestForModel: no model "${model}" in the manifest`);
    return `${JSON.stringify({ ...manifest, models: [entry] }, null, 2)}\n`;
}

/**
 * Makes `stageDir` hold exactly a symbolic link per file of `files` (to `<modelDir>/<file>`) and `models.json`
 * with `manifestText`, changing only what differs (so an unchanged model keeps its stat fingerprints).
 */
export function syncStageDir(modelDir: string, stageDir: string, files: readonly string[], manifestText: string): void {
    const want = new Map(files.map((f) => [f, path.resolve(modelDir, f)]));
    fs.mkdirSync(stageDir, { recursive: true });
    const prune = (absDir: string, rel: string): void => {
        for (const name of fs.readdirSync(absDir)) {
            const abs = path.join(absDir, name);
            const r = rel === "" ? name : `${rel}/${name}`;
            const st = fs.lstatSync(abs);
            if (st.isDirectory()) {
                prune(abs, r);
                if (fs.readdirSync(abs).length === 0) fs.rmdirSync(abs);
            } else if (r === MANIFEST_FILE && st.isFile()) {
                continue;
            } else if (!st.isSymbolicLink() || fs.readlinkSync(abs) !== want.get(r)) {
                fs.rmSync(abs, { force: true });
            }
        }
    };
    prune(stageDir, "");
    for (const [rel, target] of want) {
        const link = path.join(stageDir, ...rel.split("/"));
        if (fs.existsSync(link)) continue;
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.symlinkSync(target, link);
    }
    const manifestFile = path.join(stageDir, MANIFEST_FILE);
    let current: string | undefined;
    try { current = fs.readFileSync(manifestFile, "utf8"); } catch { current = undefined; }
    if (current !== manifestText) fs.writeFileSync(manifestFile, manifestText);
}

/**
 * Builds `model`'s archive: stages `<buildDir>/components/<model>/src`, then packs it into the content-addressed
 * `<buildDir>/components/<model>/<sha16>/model.tar.gz`.
 */
export async function buildComponentArchive(modelDir: string, manifest: Manifest, model: string, buildDir: string,
    onProgress?: (p: ArchiveProgress) => void): Promise<BuiltArchive> {
    const files = listArchiveEntries(modelDir).filter((e) => e.type === "file").map((e) => e.path);
    const base = path.join(buildDir, "components", model);
    const stage = path.join(base, "src");
    syncStageDir(modelDir, stage, filesForModel(files, manifest, model), manifestForModel(manifest, model));
    return buildArchiveInto(stage, path.join(base, "archive"), onProgress, modelDir); // the links point into the checked modelDir
}
