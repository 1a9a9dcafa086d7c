/**
 * A tiny model directory with a handler module that needs no trained models, for tests and
 * fault drills of the local endpoint (start it with `validate: false`, it has no models.json).
 *
 * Behaviour of its code/inference.py:
 * - model_fn reads fixture/weights.txt; env FIXTURE_LOAD_DELAY (s) delays it, FIXTURE_LOAD_FAIL=1 fails it.
 * - input_fn echoes the body's Python type (str/bytes), content type and body; content type
 *   application/x-unsupported raises a toolkit-shaped 415 with a JSON error body.
 * - predict_fn sleeps N s for the JSON body {"sleep": N}; the JSON body "boom" raises ValueError (500).
 * - output_fn answers JSON, or the tuple ("plain text answer", "text/plain") for Accept text/plain.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The fixture's handler module: local/fixture/inference.py (also used by tests/python/serve/test_serve.py). */
export const FIXTURE_HANDLER = fs.readFileSync(path.join(__dirname, "fixture", "inference.py"), "utf8");

/** Writes the fixture model dir into a fresh temp folder and returns its path (remove it when done). */
export function makeFixtureModelDir(weights = "w-42"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-fixture-"));
    fs.mkdirSync(path.join(dir, "code"));
    fs.mkdirSync(path.join(dir, "fixture"));
    fs.writeFileSync(path.join(dir, "code", "inference.py"), FIXTURE_HANDLER);
    fs.writeFileSync(path.join(dir, "fixture", "weights.txt"), weights + "\n");
    fs.writeFileSync(path.join(dir, "code", "requirements.txt"), "# the fixture needs nothing beyond the standard library\n");
    return dir;
}

/** True while a process (or, with a negative id, a process group) exists. */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}
