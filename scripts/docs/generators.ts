/**
 * The generators of the docs' generated blocks (see scripts/docs/blocks.ts). Each renders from the
 * repository's files or from a command's real output; the ones marked `endpoint` need a running local
 * endpoint (`npm start`), whose port is written as 8080 in the docs.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fences, REPO, Rendered } from "./blocks";
import { handlerDefaultsTable, keyGroupTable } from "../../config/generate";
import { FACT_GENERATORS } from "./facts";
import { performanceSummary } from "./performance";

export interface Endpoint { url: string; port: number; readyLine: string }
export interface Generator { endpoint?: boolean; render(ep?: Endpoint): Promise<Rendered> }

const TS_NODE = ["-r", "ts-node/register/transpile-only"];
const PY = "/usr/bin/python3";
/** Latencies and timings: numbers with decimals after a space, not followed by "%" (nor part of an address), with their padding. */
const TIMINGS = /\s+(?<![\d.])\d+\.\d+(?![\d.%])/g;

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env } });
        let stdout = "", stderr = "";
        p.stdout.on("data", (c) => (stdout += c));
        p.stderr.on("data", (c) => (stderr += c));
        const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 120000);
        p.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
}

async function ok(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
    const r = await run(cmd, args, opts);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
    return r.stdout;
}

const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(REPO, rel), "utf8"));
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const thousands = (n: number) => n.toLocaleString("en-US");
const at8080 = (text: string, ep: Endpoint) => text.split(`127.0.0.1:${ep.port}`).join("127.0.0.1:8080");

/** The README's TypeScript SDK example (the block that sends InvokeEndpointCommand). */
export function sdkExample(): string {
    const block = fences("README.md", fs.readFileSync(path.join(REPO, "README.md"), "utf8")).find((f) => f.lang === "ts" && f.code.includes("InvokeEndpointCommand"));
    if (!block) throw new Error("README.md has no ```ts block with InvokeEndpointCommand");
    return block.code;
}

/** Runs a TypeScript example from the repository root (so it resolves the repository's packages). */
export async function runTsExample(code: string, ep: Endpoint): Promise<string> {
    const file = path.join(REPO, "build", "docs-examples", `example-${process.pid}-${Date.now()}.ts`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, code.split("127.0.0.1:8080").join(`127.0.0.1:${ep.port}`));
    try {
        return await ok(process.execPath, [...TS_NODE, file]);
    } finally {
        fs.rmSync(file, { force: true });
    }
}

async function testInventory(): Promise<Rendered> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-inventory-"));
    try {
        const out = path.join(dir, "mocha.json");
        // A dry run skips the hooks, so whatever a spec creates while loading stays in this folder (removed below).
        await ok(process.execPath, [path.join(REPO, "node_modules", "mocha", "bin", "mocha.js"), "--dry-run", "--reporter", "json", "--reporter-option", `output=${out}`],
            { env: { TMPDIR: dir } });
        const mocha = JSON.parse(fs.readFileSync(out, "utf8")) as { tests: { file: string }[] };
        const py = await ok(PY, ["-m", "pytest", "tests/python", "--collect-only", "-q", "-p", "no:cacheprovider"], { env: { TMPDIR: dir } });
        const counts = new Map<string, number>();
        for (const t of mocha.tests) { const f = path.relative(REPO, t.file); counts.set(f, (counts.get(f) ?? 0) + 1); }
        for (const l of py.split("\n")) { const f = /^(tests\/python\/[^:]+)::/.exec(l)?.[1]; if (f) counts.set(f, (counts.get(f) ?? 0) + 1); }
        const files = [...counts.keys()].sort();
        const m = files.filter((f) => !f.startsWith("tests/python/")).reduce((a, f) => a + counts.get(f)!, 0);
        const p = files.filter((f) => f.startsWith("tests/python/")).reduce((a, f) => a + counts.get(f)!, 0);
        return { text: [`${m + p} tests: ${m} mocha tests in ${files.length - files.filter((f) => f.startsWith("tests/python/")).length} spec files, ${p} pytest tests.`, "",
            "| file | tests |", "|---|---:|", ...files.map((f) => `| \`${f}\` | ${counts.get(f)} |`)].join("\n") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function modelTable(): Rendered {
    const figures = readJson("training/figures.json");
    const size = (rel: string) => fs.statSync(path.join(REPO, "model-src", rel)).size;
    const f = figures.fashion, s = figures.sentiment;
    return { text: ["| model | framework, artifact | trained on | accuracy |", "|---|---|---|---|",
        `| \`fashion\` | PyTorch TorchScript, \`fashion/model.pt\` (${mib(size("fashion/model.pt"))}, ${thousands(f.parameters)} parameters; normalisation inside the scripted module, so it takes raw pixels 0..255) | Fashion-MNIST, ${thousands(f.trainImages)} images, ${f.epochs} epochs, fixed seed (torch ${f.torch}) | **${pct(f.testAccuracy)}** on the ${thousands(f.testImages)} test images |`,
        `| \`sentiment\` | scikit-learn Pipeline, joblib, \`sentiment/model.joblib\` (${mib(size("sentiment/model.joblib"))}; \`${s.analyzer}\` ${s.ngramRange.join("-")}-gram TF-IDF (${thousands(s.features)} features), logistic regression) | \`training/data/sentiment.csv\`, ${thousands(s.rows)} texts (Neutral ${thousands(s.labelCounts[0])} / Negative ${thousands(s.labelCounts[1])} / Positive ${thousands(s.labelCounts[2])}; scikit-learn ${s.sklearn}) | **${pct(s.heldOutAccuracy)}** on a stratified 20 % held-out split (${thousands(s.heldOutRows)} rows, seed ${s.seed}); the shipped model is refit on all rows |`,
    ].join("\n") };
}

function memoryTable(): Rendered {
    const models = readJson("model-src/models.json").models as { name: string; memoryBytes: number; pinned?: boolean }[];
    return { text: ["| model | memoryBytes | pinned |", "|---|---:|---|", ...models.map((m) => `| ${m.name} | ${thousands(m.memoryBytes)} | ${m.pinned ? "yes" : "no"} |`)].join("\n") };
}

function deployerActions(): Rendered {
    const t = readJson("deploy/deployer-actions.json") as Record<"resourceTypes" | "calls" | "whenSet" | "sdkCommands", Record<string, { actions: string[]; why: string }>>;
    const row = (k: string, e: { actions: string[]; why: string }) => `| \`${k}\` | ${e.actions.length ? e.actions.map((a) => `\`${a}\``).join(", ") : "none"} | ${e.why} |`;
    return { text: ["| resource type, call, SDK command or setting | actions | why |", "|---|---|---|",
        ...Object.entries(t.resourceTypes).map(([k, e]) => row(k, e)), ...Object.entries(t.calls).map(([k, e]) => row(k, e)),
        ...Object.entries(t.sdkCommands).map(([k, e]) => row(k, e)),
        ...Object.entries(t.whenSet).map(([k, e]) => row(`${k} set`, e))].join("\n") };
}

async function packageOutput(): Promise<Rendered> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-package-"));
    try {
        const out = await ok(process.execPath, [...TS_NODE, "scripts/package.ts", "--model-dir", "model-src", "--out", path.join(dir, "model.tar.gz"), "--no-cache", "--quiet"]);
        return { text: ["```text", "$ npm run package -- --model-dir model-src --out build/model.tar.gz", out.split(path.join(dir, "model.tar.gz")).join("build/model.tar.gz").trimEnd(), "```"].join("\n"), volatile: [/^time .*$/m] };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function smokeOutput(ep?: Endpoint): Promise<Rendered> {
    const r = await run(process.execPath, [...TS_NODE, "scripts/smoke/smoke.ts", "--local", `${ep!.url}/endpoints/local/invocations`]);
    if (r.code !== 0) throw new Error(`smoke failed: ${r.stderr.trim()}`);
    return { text: ["```text", "$ npm run smoke -- --local http://127.0.0.1:8080/endpoints/local/invocations", at8080(r.stdout, ep!).trimEnd(), "```"].join("\n"), volatile: [TIMINGS] };
}

async function cliResponse(ep?: Endpoint): Promise<Rendered> {
    const { InvokeEndpointCommand, SageMakerRuntimeClient } = await import("@aws-sdk/client-sagemaker-runtime");
    const client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: ep!.url, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
    try {
        const res = await client.send(new InvokeEndpointCommand({ EndpointName: "local", ContentType: "application/json", Body: Buffer.from(JSON.stringify({ model: "sentiment", inputs: ["what a lovely day"] })) }));
        return { text: ["```text", "$ cat response.json", Buffer.from(res.Body!).toString("utf8"), "```"].join("\n") };
    } finally {
        client.destroy();
    }
}

async function sdkOutput(ep?: Endpoint): Promise<Rendered> {
    return { text: ["```text", (await runTsExample(sdkExample(), ep!)).trimEnd(), "```"].join("\n") };
}

async function readyLine(ep?: Endpoint): Promise<Rendered> {
    return { text: ["```text", at8080(ep!.readyLine, ep!), "```"].join("\n") };
}

/** The preview's update-time line for Pulumi.prod.yaml, from the same pure functions the program logs it with. */
async function prodUpdateBudget(): Promise<Rendered> {
    const { stackSettings } = await import("../../tests/support/endpointFixture");
    const { budgetInput, deploymentTimeBudget } = await import("../../sagemaker/production/deploymentTime");
    return { text: ["```text", deploymentTimeBudget(budgetInput(stackSettings("prod", "model-src"))).summary, "```"].join("\n") };
}

/** `file:<path>`: a committed figures file (a command's saved output), included as it is (.txt in a text fence). */
function includeFile(rel: string): Rendered {
    const file = path.join(REPO, rel);
    if (!rel.startsWith("docs/figures/") || !fs.existsSync(file)) throw new Error(`${rel}: no such figures file under docs/figures/`);
    const text = fs.readFileSync(file, "utf8").trimEnd();
    return { text: rel.endsWith(".txt") ? ["```text", text, "```"].join("\n") : text };
}

export const GENERATORS: Record<string, Generator> = {
    "test-inventory": { render: testInventory },
    "model-table": { render: async () => modelTable() },
    "handler-cache-defaults": { render: async () => ({ text: handlerDefaultsTable() }) },
    "memory-table": { render: async () => memoryTable() },
    "deployer-actions": { render: async () => deployerActions() },
    "prod-update-budget": { render: prodUpdateBudget },
    "package-output": { render: packageOutput },
    "performance-summary": { render: performanceSummary },
    "ready-line": { endpoint: true, render: readyLine },
    "smoke-output": { endpoint: true, render: smokeOutput },
    "cli-response": { endpoint: true, render: cliResponse },
    "sdk-output": { endpoint: true, render: sdkOutput },
    ...FACT_GENERATORS,
};

/** The generator of a block id (`file:docs/figures/x.md` included as it is, `config-keys:<group>` a key group of config/schema.ts), or undefined. */
export function generatorFor(id: string): Generator | undefined {
    if (id.startsWith("file:")) return { render: async () => includeFile(id.slice(5)) };
    if (id.startsWith("config-keys:")) return { render: async () => ({ text: keyGroupTable(id.slice("config-keys:".length)) }) };
    return GENERATORS[id];
}
