/**
 * Prints the README's reliability figures as Markdown, measured now:
 * - bad stack configurations (tests/fixtures/badConfigs.ts) through requireSettings and
 *   GpuModelEndpoint under Pulumi mocks: cases, stopped with one problem naming the key/path, resources;
 * - the malformed-request corpus (tests/fixtures/malformedRequests.ts) against a fresh local endpoint:
 *   cases by status, mismatches, valid requests after each, latencies, the model server's RSS;
 *   plus the known issues (cases that still get a 500);
 * - the fault, security and reliability specs (mocha JSON reporter) and the hypothesis fuzzing (pytest):
 *   tests, passed, failed, seconds;
 * - with --bench FILE, the table of `npm run bench:serve -- --json FILE`.
 *
 *   npx ts-node --transpile-only scripts/docs/reliabilityFigures.ts [--bench FILE] [--no-suites]
 */
import "../../tests/support/pulumiMocks"; // mocks first: the component is declared below
import { allResources, resetRecorded, settle } from "../../tests/support/pulumiMocks";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { requireSettings } from "../../config/config";
import { GpuModelEndpoint } from "../../sagemaker/gpuModelEndpoint";
import { startLocalEndpoint } from "../../local/endpoint";
import { BAD_CONFIGS } from "../../tests/fixtures/badConfigs";
import { CORPUS, KNOWN_ISSUES, makeClient, mismatch, rssBytes, sendCase, validRequest } from "../../tests/fixtures/malformedRequests";
import { makeModelDir, otherDeclaredKeys, stackFile } from "../../tests/support/endpointFixture";
import { BenchResult, formatBench, stats } from "../bench/benchServe";
import { hostileRequestFigures, manifestFigures, modelDirFigures } from "./corpusFigures";

const ROOT = path.resolve(__dirname, "..", "..");
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function badConfigFigures(): Promise<string> {
    let named = 0, registered = 0;
    const byKey = new Map<string, number>();
    for (const row of BAD_CONFIGS) {
        resetRecorded();
        const { base, dir } = makeModelDir();
        const where = row.dir?.(dir);
        const { raw: dev, region: devRegion } = stackFile("dev");
        let message = "";
        try {
            const { settings } = requireSettings({ ...dev, modelDir: "model", ...row.raw },
                { project: "gpu-multi-model-endpoint", stack: "dev", region: row.region === null ? undefined : row.region ?? devRegion, otherKeys: otherDeclaredKeys() });
            new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") });
        } catch (e) {
            message = (e as Error).message;
        }
        await settle();
        registered += allResources().length;
        const lines = message.split("\n");
        const ok = where === undefined
            ? lines[0] === `Stack "dev" has 1 config problem(s):` && (lines[1] ?? "").startsWith(`  - ${row.key}`)
            : lines.slice(1).some((l) => l.includes(where));
        if (ok) named++;
        const label = where === undefined ? row.key! : "model directory path";
        byKey.set(label, (byKey.get(label) ?? 0) + 1);
        fs.rmSync(base, { recursive: true, force: true });
    }
    return [
        `**Bad stack configurations** (tests/unit/config/badConfig.spec.ts): ${BAD_CONFIGS.length} tried; ${named} stopped with exactly one problem naming the key ` +
        `(or the model-directory path); ${registered} resources registered in total.`,
        `Keys covered: ${[...byKey.entries()].map(([k, n]) => `${k.replace("gpu-multi-model-endpoint:", "")} (${n})`).join(", ")}.`,
    ].join("\n");
}

async function corpusFigures(): Promise<string> {
    const ep = await startLocalEndpoint({ port: 0, log: () => undefined });
    const client = makeClient(ep.endpoint);
    try {
        for (let i = 0; i < 4; i++) await validRequest(client, ep.endpointName, i);
        const baseline = rssBytes(ep.workerPids()[0]);
        let peak = baseline;
        const byStatus = new Map<string, number>();
        const wrong: string[] = [];
        const badMs: number[] = [], validMs: number[] = [];
        let followUps = 0;
        const run = async (cases: typeof CORPUS, record: boolean) => {
            const out: string[] = [];
            for (const [i, c] of cases.entries()) {
                const o = await sendCase(c, ep.endpoint, ep.endpointName, client);
                const m = mismatch(c, o);
                if (record) {
                    badMs.push(o.ms);
                    const key = `${o.layer === "model" ? "ModelError " : "HTTP "}${o.status}`;
                    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
                    if (m) wrong.push(m);
                } else out.push(m ?? `${c.name}: now answered as expected`);
                validMs.push(await validRequest(client, ep.endpointName, i));
                if (record) followUps++;
                peak = Math.max(peak, rssBytes(ep.workerPids()[0]));
            }
            return out;
        };
        await run(CORPUS, true);
        const after = rssBytes(ep.workerPids()[0]);
        const known = await run(KNOWN_ISSUES, false);
        const b = stats(badMs), v = stats(validMs);
        return [
            `**Malformed requests** (tests/integration/reliability/reliability.spec.ts): ${CORPUS.length} sent to one local endpoint (real models), ` +
            `${CORPUS.length - wrong.length} answered with the expected status and a JSON error, ${wrong.length} not; ` +
            `${followUps} valid requests sent, one after each, all succeeded.`,
            `Statuses: ${[...byStatus.entries()].sort().map(([k, n]) => `${k} x${n}`).join(", ")} (ModelError = the container's status, seen by the SDK as OriginalStatusCode).`,
            `Latency of the error answers p50 ${b.p50.toFixed(1)} ms, p95 ${b.p95.toFixed(1)} ms, max ${Math.max(...badMs).toFixed(0)} ms; of the valid requests after them p50 ${v.p50.toFixed(1)} ms, p95 ${v.p95.toFixed(1)} ms.`,
            `Model server RSS: ${MiB(baseline)} before the corpus (both models loaded), peak ${MiB(peak)}, ${MiB(after)} after ` +
            `(growth ${MiB(Math.max(peak, after) - baseline)}; the test's bound is 64 MiB).`,
            ...(wrong.length ? ["", "Unexpected answers:", ...wrong.map((w) => `- ${w}`)] : []),
            ...(known.length ? ["", `Known issues (not in the corpus): ${known.length} case(s):`, ...known.map((k) => `- ${k}`)] : []),
        ].join("\n");
    } finally {
        client.destroy();
        await ep.stop();
    }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => execFile(cmd, args, { cwd: ROOT, maxBuffer: 64 << 20, timeout: 600000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
}

async function suiteFigures(): Promise<string> {
    const specs = ["tests/unit/config/badConfig.spec.ts", "tests/integration/packaging/badModelDir.spec.ts", "tests/integration/packaging/manifestSchema.spec.ts", "tests/unit/iam/roleScope.spec.ts",
        "tests/integration/reliability/reliability.spec.ts", "tests/integration/reliability/hostileRequests.spec.ts", "tests/integration/reliability/reliabilityFaults.spec.ts", "tests/integration/local/lifecycle.spec.ts",
        "tests/integration/smoke/smokeTimeouts.spec.ts", "tests/unit/scripts/reliabilityBench.spec.ts", "tests/integration/reliability/security.spec.ts"];
    const m = await run(process.execPath, [path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js"), "--no-config", "-r", "ts-node/register/transpile-only",
        "--extension", "ts", "--timeout", "120000", "--reporter", "json", ...specs]);
    const failures: string[] = [];
    const rows = ["| suite | tests | passed | failed | seconds in tests (hooks excluded) |", "|---|---:|---:|---:|---:|"];
    try {
        const report = JSON.parse(m.stdout.slice(m.stdout.indexOf("{")));
        for (const spec of specs) {
            const tests = (report.tests as Array<{ file: string; err: object; duration?: number }>).filter((t) => t.file.endsWith(spec));
            const failed = tests.filter((t) => Object.keys(t.err ?? {}).length > 0).length;
            const secs = tests.reduce((a, t) => a + (t.duration ?? 0), 0) / 1000;
            rows.push(`| ${spec} | ${tests.length} | ${tests.length - failed} | ${failed} | ${secs.toFixed(1)} |`);
        }
        for (const f of report.failures as Array<{ fullTitle: string; err: { message?: string } }>) {
            failures.push(`- ${f.fullTitle}: ${(f.err.message ?? "").split("\n")[0].slice(0, 300)}`);
        }
    } catch {
        rows.push(`| mocha | ? | ? | ? | (no JSON report, exit ${m.code}) |`);
    }
    const started = Date.now();
    const p = await run("/usr/bin/python3", ["-m", "pytest", "tests/python/test_fuzz_input.py", "-q", "-p", "no:cacheprovider"]);
    const summary = /(\d+) passed(?:, (\d+) failed)?/.exec(p.stdout);
    const passed = Number(summary?.[1] ?? 0), failed = Number(summary?.[2] ?? (p.code === 0 ? 0 : 1));
    rows.push(`| tests/python/test_fuzz_input.py (hypothesis, derandomized, up to 150 examples per property) | ${passed + failed} | ${passed} | ${failed} | ${((Date.now() - started) / 1000).toFixed(1)} |`);
    return ["**Reliability and security tests**:", "", ...rows, ...(failures.length ? ["", "Failed:", ...failures] : [])].join("\n");
}

const HELP = `Usage: npx ts-node --transpile-only scripts/docs/reliabilityFigures.ts [--bench FILE] [--no-suites]

Measures and prints the reliability figures as Markdown (a few minutes): the bad stack configurations
under Pulumi mocks, the malformed-request corpus against a fresh local endpoint, and (unless --no-suites)
the reliability and security specs and the fuzzing tests; with --bench FILE also the load table of
\`npm run bench:serve -- --json FILE\`.

Examples:
  npx ts-node --transpile-only scripts/docs/reliabilityFigures.ts --no-suites
  npm run bench:serve -- --json /tmp/bench-serve.json && npx ts-node --transpile-only scripts/docs/reliabilityFigures.ts --bench /tmp/bench-serve.json`;

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    if (argv.includes("--help") || argv.includes("-h")) { process.stdout.write(HELP + "\n"); process.exit(0); }
    const unknown = argv.filter((a, i) => a !== "--no-suites" && a !== "--bench" && argv[i - 1] !== "--bench");
    if (unknown.length > 0 || (argv.includes("--bench") && !argv[argv.indexOf("--bench") + 1])) {
        process.stderr.write(`reliabilityFigures: ${unknown.length ? `unknown argument ${unknown[0]}` : "--bench needs a file"}; see --help\n`);
        process.exit(2);
    }
    const benchFile = argv.includes("--bench") ? argv[argv.indexOf("--bench") + 1] : undefined;
    const parts = [await badConfigFigures(), await modelDirFigures(), manifestFigures(), await corpusFigures(), await hostileRequestFigures()];
    if (!argv.includes("--no-suites")) parts.push(await suiteFigures());
    if (benchFile) {
        const r = JSON.parse(fs.readFileSync(benchFile, "utf8")) as BenchResult;
        parts.push(`**Load** (\`npm run bench:serve\`):\n\n${formatBench(r)}`);
    }
    process.stdout.write(parts.join("\n\n") + "\n");
    process.exit(0);
}

main().catch((e) => { process.stderr.write(`reliabilityFigures: ${(e as Error).message}\n`); process.exit(1); });
