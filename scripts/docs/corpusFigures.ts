/**
 * Figures of the hardening corpora, for scripts/docs/reliabilityFigures.ts (mocks must be set by the caller):
 * the model-directory and --out corpora through every consumer of the model-directory walk, the manifest
 * corpus through both schema checkers, and the hostile-request corpus against the runtime API.
 */
import { allResources, resetRecorded, settle } from "../../tests/support/pulumiMocks";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { requireSettings } from "../../config/config";
import { GpuModelEndpoint } from "../../sagemaker/gpuModelEndpoint";
import { checkManifest, MANIFEST_SCHEMA_FILE } from "../../packaging/manifest";
import { validateModelDir } from "../../packaging/modelDir";
import { PYTHON } from "../../local/endpoint";
import { createRuntimeApi } from "../../local/api/runtimeApi";
import { runPackage } from "../package";
import { BAD_MODEL_DIRS, BAD_OUTS } from "../../tests/fixtures/badModelDirs";
import { HOSTILE_REQUESTS, sendRaw } from "../../tests/fixtures/hostileRequests";
import { MANIFEST_CASES } from "../../tests/fixtures/manifestCorpus";
import { CREDENTIALS } from "../../tests/fixtures/malformedRequests";
import { makeModelDir, otherDeclaredKeys, stackFile } from "../../tests/support/endpointFixture";

const quiet = { out: () => undefined, err: () => undefined, tty: false };
const isRoot = process.getuid?.() === 0;

export async function modelDirFigures(): Promise<string> {
    const rows = BAD_MODEL_DIRS.filter((r) => !r.root || isRoot);
    const refused: Record<string, number> = { archive: 0, uncompressed: 0, package: 0, local: 0 };
    let registered = 0;
    for (const row of rows) {
        for (const mode of ["archive", "uncompressed"]) {
            resetRecorded();
            const { base, dir } = makeModelDir();
            const where = row.make(dir);
            const { raw, region } = stackFile("dev");
            try {
                const { settings } = requireSettings({ ...raw, modelDir: "model", modelDataMode: mode },
                    { project: "gpu-multi-model-endpoint", stack: "dev", region, otherKeys: otherDeclaredKeys() });
                new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") });
            } catch (e) {
                if ((e as Error).message.includes(where)) refused[mode]++;
            }
            await settle();
            registered += allResources().length;
        }
        const { base, dir } = makeModelDir();
        const where = row.make(dir);
        const errs: string[] = [];
        const code = await runPackage(["--model-dir", dir, "--out", path.join(base, "o", "m.tar.gz")], { ...quiet, err: (l) => errs.push(l) });
        if (code === 1 && errs.some((l) => l.includes(where)) && !fs.existsSync(path.join(base, "o", "m.tar.gz"))) refused.package++;
        if (validateModelDir(dir).errors.some((e) => e.includes(where))) refused.local++;
    }
    let outs = 0;
    const outRows = BAD_OUTS.filter((r) => !r.root || isRoot);
    for (const row of outRows) {
        const { base, dir } = makeModelDir();
        const out = row.out(dir, base);
        const ino = fs.lstatSync(out, { throwIfNoEntry: false })?.ino;
        const errs: string[] = [];
        const code = await runPackage(["--model-dir", dir, "--out", out], { ...quiet, err: (l) => errs.push(l) });
        if (code === 1 && errs.some((l) => l.includes(out)) && fs.lstatSync(out, { throwIfNoEntry: false })?.ino === ino) outs++;
    }
    return `**Hostile model directories** (tests/integration/packaging/badModelDir.spec.ts): ${rows.length} tried (special files, symlinks leaving the directory, ` +
        `non-UTF-8 and over-long names, manifest integers written as floats, missing labels, misspelt keys, empty model files, a handler only in a string); ` +
        `refused naming the path by archive mode ${refused.archive}, uncompressed mode ${refused.uncompressed}, \`npm run package\` ${refused.package}, ` +
        `\`npm start\`'s check ${refused.local}; ${registered} resources registered in total. ` +
        `Output paths: ${outs} of ${outRows.length} hostile \`--out\` paths (device, FIFO, directory, inside the model directory by name or through symlinks) refused, left as they were.`;
}

export function manifestFigures(): string {
    const py = [
        "import json, sys", `sys.path.insert(0, ${JSON.stringify(path.dirname(MANIFEST_SCHEMA_FILE))})`, "import manifest_schema",
        "s = manifest_schema.load_schema()", "print(json.dumps([not manifest_schema.check_text(t, s)[1] for t in json.load(sys.stdin)]))",
    ].join("\n");
    const python: boolean[] = JSON.parse(execFileSync(PYTHON, ["-c", py], { input: JSON.stringify(MANIFEST_CASES.map((c) => c.text)) }).toString());
    const ts = MANIFEST_CASES.map((c) => checkManifest(c.text, "models.json").errors.length === 0);
    const agree = ts.filter((v, i) => v === python[i]).length;
    const right = ts.filter((v, i) => v === MANIFEST_CASES[i].valid && python[i] === v).length;
    return `**Manifests** (tests/integration/packaging/manifestSchema.spec.ts): ${MANIFEST_CASES.length} models.json texts (${MANIFEST_CASES.filter((c) => c.valid).length} valid) ` +
        `through the one schema: TypeScript (ajv) and the handler's interpreter agree on ${agree}, both give the expected verdict on ${right}.`;
}

export async function hostileRequestFigures(): Promise<string> {
    let hits = 0;
    const model = http.createServer((_q, r) => { hits++; r.end("{}"); });
    await new Promise<void>((r) => model.listen(0, "127.0.0.1", r));
    const logs: string[] = [];
    const api = createRuntimeApi({ endpointName: "local", credentials: CREDENTIALS,
        modelServerUrl: `http://127.0.0.1:${(model.address() as AddressInfo).port}`, log: (l) => logs.push(l) });
    await new Promise<void>((r) => api.server.listen(0, "127.0.0.1", r));
    const port = (api.server.address() as AddressInfo).port;
    let expected = 0, oneLine = 0;
    const statuses = new Map<string, number>();
    try {
        for (const row of HOSTILE_REQUESTS) {
            const from = logs.length;
            const reply = await sendRaw(port, row, "local");
            await new Promise((r) => setTimeout(r, 300));
            const lines = logs.slice(from);
            if (reply.status === row.status) expected++;
            if (lines.length === 1 && !/\n/.test(lines[0]) && !(row.notLogged ?? []).some((t) => lines[0].includes(t))) oneLine++;
            const key = reply.status === undefined ? "no answer (client gone)" : `HTTP ${reply.status}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }
    } finally {
        api.server.closeAllConnections();
        await new Promise((r) => api.server.close(r));
        await new Promise((r) => model.close(r));
    }
    return `**Hostile requests** (tests/integration/reliability/hostileRequests.spec.ts): ${HOSTILE_REQUESTS.length} raw HTTP requests to the runtime API ` +
        `(bad targets and framing, log forging, signatures in query strings, 300 MiB bodies, clients gone mid-body); ` +
        `${expected} got the expected status, ${oneLine} exactly one escaped, redacted log line without a stack; ${hits} reached the model server. ` +
        `Statuses: ${[...statuses.entries()].sort().map(([k, n]) => `${k} x${n}`).join(", ")}.`;
}
