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

export const FIXTURE_HANDLER = `
import json, os, time

class ToolkitError(Exception):
    """Same three attributes as sagemaker_inference.errors.BaseInferenceToolkitError."""
    def __init__(self, status_code, message, phrase):
        super().__init__(status_code, message, phrase)
        self.status_code, self.message, self.phrase = status_code, message, phrase

def model_fn(model_dir):
    time.sleep(float(os.environ.get("FIXTURE_LOAD_DELAY", "0")))
    if os.environ.get("FIXTURE_LOAD_FAIL"):
        raise RuntimeError("model file fixture/weights.txt is corrupt")
    with open(os.path.join(model_dir, "fixture", "weights.txt")) as f:
        return {"weights": f.read().strip()}

def input_fn(body, content_type):
    if content_type == "application/x-unsupported":
        raise ToolkitError(415, json.dumps({"error": {"code": "unsupported_content_type",
                           "message": "Content-Type application/x-unsupported is not supported"}}),
                           "Unsupported Media Type")
    return {"type": type(body).__name__, "content_type": content_type,
            "body": body if isinstance(body, str) else body.hex()}

def predict_fn(data, model):
    if data["type"] == "str" and data["body"].startswith('{"sleep"'):
        time.sleep(json.loads(data["body"])["sleep"])
    if data["body"] == '"boom"':
        raise ValueError("boom in predict_fn")
    return dict(data, model=model["weights"])

def output_fn(prediction, accept):
    if accept == "text/plain":
        return "plain text answer", "text/plain"
    return json.dumps(dict(prediction, accept=accept))
`;

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
