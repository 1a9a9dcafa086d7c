/**
 * `npm run test:container` (maintainers' check, run by .ci/run after `npm test`): the same requests
 * through the UNMODIFIED serving code of the SageMaker PyTorch container and through `npm start`'s
 * model server must get the same status, Content-Type and body.
 *
 * It builds the archive from model-src with the code `pulumi up` uses, extracts it like /opt/ml/model,
 * answers every request with scripts/conformance/container_conformance.py (TorchServe's Python worker + the
 * toolkits, from the reference sources beside the repository: ../shared/reference/sagemaker-serving,
 * or CONTAINER_REFERENCE_DIR), then starts the local endpoint and sends the same requests to its
 * model server. Requests: the malformed-request corpus rows that reach the container
 * (tests/fixtures/malformedRequests.ts) and the smoke test's valid requests (local/smoke-data/):
 * every item alone, then the smoke test's batches. Also checks the toolkit's own answers: every 4xx
 * is one JSON document {"error": {"code", "message"}} with Content-Type application/json and the
 * corpus row's status and code, logged as one WARNING line; every valid request is a 200.
 * Prints one line per problem and `conformance: N passed, N failed`; exits 1 on a failure, 2 when it cannot run.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import { buildModelArchive } from "../../packaging/modelArchive";
import { REPO_ROOT, startLocalEndpoint } from "../../local/endpoint";
import { PYTHON, tuningEnv } from "../../local/server/modelServer";
import { CORPUS } from "../../tests/fixtures/malformedRequests";
import { batches, loadSmokeData } from "../smoke/smoke";
import { Answer, comparisonProblems, ConformanceRequest, toolkitProblems } from "./conformanceCompare";

export const REFERENCE_DIR = process.env.CONTAINER_REFERENCE_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "reference", "sagemaker-serving");

/** The requests: corpus rows the container sees (not the ones the runtime API refuses), then the smoke requests. */
export function conformanceRequests(): ConformanceRequest[] {
    const out: ConformanceRequest[] = CORPUS.filter((c) => c.expect.layer === "model").map((c) => ({
        name: `corpus: ${c.name}`, contentType: c.contentType === undefined ? "application/json" : c.contentType,
        accept: c.accept ?? null, body: c.body(), expect: { status: c.expect.status, code: c.expect.code },
    }));
    for (const { model, cases } of loadSmokeData()) {
        const groups = [...cases.map((c) => [c]), ...batches(cases, 20)];
        groups.forEach((group, i) => out.push({
            name: `smoke: ${model} request ${i + 1} (${group.length} item${group.length > 1 ? "s" : ""})`,
            contentType: "application/json", accept: "application/json",
            body: Buffer.from(JSON.stringify({ model, inputs: group.map((c) => c.input) })), expect: { status: 200 },
        }));
    }
    return out;
}

function post(url: string, r: ConformanceRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { "content-length": String(r.body.length) };
        if (r.contentType !== null) headers["content-type"] = r.contentType;
        if (r.accept !== null) headers.accept = r.accept;
        const req = http.request(`${url}/invocations`, { method: "POST", headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? null, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.end(r.body);
    });
}

function toolkitAnswers(modelDir: string, requests: ConformanceRequest[], work: string): { answers: Answer[]; stderr: string } {
    const reqFile = path.join(work, "requests.json"), ansFile = path.join(work, "answers.json");
    fs.writeFileSync(reqFile, JSON.stringify(requests.map((r) => ({
        name: r.name, content_type: r.contentType, accept: r.accept, body_b64: r.body.toString("base64"),
    }))));
    // the thread settings npm start's workers get: results of a multi-threaded reduction differ in the last digits by thread count
    const env = {
        ...tuningEnv({}), ...process.env, SAGEMAKER_BASE_DIR: path.dirname(modelDir), SAGEMAKER_PROGRAM: "inference.py",
        PYTHONPATH: [path.join(REFERENCE_DIR, "sagemaker-pytorch-inference-toolkit", "src"), path.join(REFERENCE_DIR, "torchserve"),
            path.join(modelDir, "code")].join(":"),
    };
    const run = spawnSync(PYTHON, [path.join(__dirname, "container_conformance.py"), modelDir, reqFile, ansFile],
        { env, cwd: work, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 600000 });
    if (run.status !== 0) {
        throw new Error(`the real toolkit harness failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ""}); it needs the Debian packages in ` +
            `scripts/container-check-packages.txt:\n${(run.stderr ?? "").split("\n").slice(-25).join("\n")}`);
    }
    const raw = JSON.parse(fs.readFileSync(ansFile, "utf8")) as Array<{ status: number; content_type: string | null; body_b64: string }>;
    return { answers: raw.map((a) => ({ status: a.status, contentType: a.content_type, body: Buffer.from(a.body_b64, "base64") })), stderr: run.stderr ?? "" };
}

const HELP = `Usage: npm run test:container

Maintainers' check: the malformed-request corpus and the smoke requests through the unmodified serving code
of the SageMaker PyTorch container (reference sources beside the repository, or CONTAINER_REFERENCE_DIR) and
through npm start's model server; status, Content-Type and body must be equal. Takes no options.

Examples:
  npm run test:container
  CONTAINER_REFERENCE_DIR=/path/to/sagemaker-serving npm run test:container`;

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    if (args[0] === "--help" || args[0] === "-h") { process.stdout.write(HELP + "\n"); return 0; }
    if (args.length > 0) { process.stderr.write(`test:container: unexpected argument ${args[0]}; see npm run test:container -- --help\n`); return 2; }
    if (!fs.existsSync(path.join(REFERENCE_DIR, "torchserve", "ts", "service.py"))) {
        process.stderr.write(`test:container: the reference sources are not at ${REFERENCE_DIR} (set CONTAINER_REFERENCE_DIR to the sagemaker-serving folder)\n`);
        process.stdout.write("conformance: 0 passed, 1 failed\n");
        return 2;
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-conformance-"));
    try {
        const modelSrc = path.join(REPO_ROOT, "model-src");
        const modelDir = path.join(work, "ml", "model");
        fs.mkdirSync(modelDir, { recursive: true });
        await buildModelArchive(modelSrc, path.join(work, "model.tar.gz"));
        await tar.x({ file: path.join(work, "model.tar.gz"), cwd: modelDir, strict: true });
        const requests = conformanceRequests();
        const corpus = requests.filter((r) => r.name.startsWith("corpus")).length;
        process.stdout.write(`test:container: ${requests.length} requests (${corpus} malformed, ${requests.length - corpus} valid smoke requests)\n`);
        const real = toolkitAnswers(modelDir, requests, work);
        const logs: string[] = [];
        const ep = await startLocalEndpoint({ modelDir: modelSrc, port: 0, log: (l) => logs.push(l) });
        const local: Answer[] = [];
        try {
            for (const r of requests) local.push(await post(ep.modelServerUrl, r));
        } finally {
            await ep.stop();
        }
        let passed = 0, failed = 0;
        requests.forEach((r, i) => {
            const problems = [...toolkitProblems(r, real.answers[i]), ...comparisonProblems(real.answers[i], local[i])];
            if (problems.length === 0) passed++;
            else { failed++; process.stdout.write(`FAIL ${r.name}:\n  ${problems.join("\n  ")}\n`); }
        });
        const warnings = (real.stderr.match(/WARNING[: ]+inference:? ?answered 4\d\d /g) ?? []).length;
        const clientErrors = real.answers.filter((a) => a.status >= 400 && a.status < 500).length;
        if (warnings !== clientErrors || /Transform failed for model/.test(real.stderr.replace(/Transform failed[^\n]*UnicodeDecodeError[^\n]*/g, ""))) {
            failed++;
            process.stdout.write(`FAIL the real toolkit's log: ${warnings} WARNING lines for ${clientErrors} client errors, ` +
                `or a traceback for something other than the non-UTF-8 body\n`);
        } else passed++;
        process.stdout.write(`conformance: ${passed} passed, ${failed} failed\n`);
        return failed === 0 ? 0 : 1;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().then((code) => process.exit(code), (err: Error) => {
        process.stderr.write(`test:container: ${err.message}\nconformance: 0 passed, 1 failed\n`);
        process.exit(2);
    });
}
