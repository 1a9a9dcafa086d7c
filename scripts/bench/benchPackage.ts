/**
 * `npm run bench:package [-- --sizes 100,1024 --runs 3 --methods a,b --keep --tmp DIR]`
 *
 * Creates synthetic model directories (80% float32-like weights in shards, 20% compressible
 * text: a few large files plus 400 small ones) in a temp folder and times, round-robin so
 * load changes hit every method alike: our archive (default options), variants that justify
 * the defaults, GNU `tar -czf`, Python `tarfile` `w:gz` (the article's method), the cached
 * rerun and the uncompressed mode's hashing. Prints a markdown table of medians (min-max),
 * throughput, ratios against GNU tar and Python, archive size and peak RSS.
 * Every timed run is its own process; ours are timed inside the process (no start-up).
 * Slow: not part of `npm test`.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { parseArgs } from "node:util";
import { pipeline } from "stream/promises";
import { Readable } from "stream";
import { listArchiveEntries } from "../../packaging/archiveEntries";
import { chooseDeflate, GZIP_OS_BYTE, storedMember, writeGzipMembers } from "../../packaging/gzipMembers";
import { buildModelArchive, DEFAULT_CHUNK_BYTES, DEFAULT_LEVEL, tarChunks } from "../../packaging/modelArchive";
import { hashModelFiles } from "../../sagemaker/uncompressedModelData";

const MIB = 1048576;
const PY = "/usr/bin/python3";
const PY_TARFILE = "import sys, tarfile\nwith tarfile.open(sys.argv[2], 'w:gz') as t:\n    t.add(sys.argv[1], arcname='.')";

/** Same members as `ours`, compressed by worker_threads (gzipSync) instead of zlib's async API on libuv's pool. */
async function oursWithWorkers(dir: string, out: string): Promise<number> {
    const { Worker } = await import("worker_threads");
    const code = `const { parentPort } = require("worker_threads"); const zlib = require("zlib");
parentPort.on("message", ({ id, buf, choice }) => {
  const out = zlib.gzipSync(Buffer.from(buf), { ...choice, memLevel: 9, chunkSize: 4 << 20 });
  out[9] = ${GZIP_OS_BYTE};
  const ab = out.buffer.slice(out.byteOffset, out.byteOffset + out.length);
  parentPort.postMessage({ id, ab }, [ab]);
});`;
    const workers = Array.from({ length: os.availableParallelism() }, () => new Worker(code, { eval: true }));
    const waiting = new Map<number, (b: Buffer) => void>();
    for (const w of workers) w.on("message", ({ id, ab }: { id: number; ab: ArrayBuffer }) => waiting.get(id)!(Buffer.from(ab)));
    let next = 0;
    const fh = await fs.promises.open(out, "w");
    try {
        await writeGzipMembers(tarChunks(listArchiveEntries(dir)), { level: DEFAULT_LEVEL, strategy: "auto", chunkBytes: DEFAULT_CHUNK_BYTES, jobs: workers.length },
            async (parts) => { await fh.writev(parts); }, undefined, async (chunk) => {
                const choice = chooseDeflate(chunk, DEFAULT_LEVEL, "auto");
                if (choice.level === 0) return storedMember(chunk); // as ours: no zlib for stored chunks
                return [await new Promise<Buffer>((resolve) => {
                    const id = next++;
                    waiting.set(id, resolve);
                    const ab = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.length) as ArrayBuffer;
                    workers[id % workers.length].postMessage({ id, buf: ab, choice }, [ab]);
                })];
            });
    } finally {
        await fh.close();
        await Promise.all(workers.map((w) => w.terminate()));
    }
    return fs.statSync(out).size;
}

/** In-process methods (run in a child: `--run-method NAME --dir D --out O`). */
const OURS: Record<string, (dir: string, out: string) => Promise<number | void>> = {
    ours: async (d, o) => (await buildModelArchive(d, o, { cache: false })).bytes,
    "ours-worker-threads": oursWithWorkers,
    "ours-1job": async (d, o) => (await buildModelArchive(d, o, { cache: false, jobs: 1 })).bytes,
    "ours-strategy-default": async (d, o) => (await buildModelArchive(d, o, { cache: false, strategy: "default" })).bytes,
    "ours-level6": async (d, o) => (await buildModelArchive(d, o, { cache: false, level: 6 })).bytes,
    "node-zlib-stream": async (d, o) => {
        await pipeline(Readable.from(tarChunks(listArchiveEntries(d), MIB)), zlib.createGzip({ level: 1 }), fs.createWriteStream(o));
        return fs.statSync(o).size;
    },
    "ours-cached": async (d, o) => (await buildModelArchive(d, o)).bytes, // the parent builds once before timing
    "uncompressed-hash": async (d) => { await hashModelFiles(d); },
    "uncompressed-hash-cached": async (d, o) => { await hashModelFiles(d, { cacheFile: `${o}.hashes.json` }); },
};
const EXTERNAL: Record<string, (dir: string, out: string) => string[]> = {
    "gnu-tar": (d, o) => ["tar", "-czf", o, "-C", d, "."],
    "python-tarfile": (d, o) => [PY, "-c", PY_TARFILE, d, o],
};
const DEFAULT_METHODS = ["ours", "ours-worker-threads", "ours-1job", "ours-strategy-default", "node-zlib-stream", "gnu-tar", "python-tarfile",
    "ours-cached", "uncompressed-hash", "uncompressed-hash-cached"];

/** xorshift32: reproducible data without crypto cost. */
function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        return x / 4294967296;
    };
}

function floatShard(bytes: number, r: () => number): Buffer {
    const f = new Float32Array(Math.floor(bytes / 4));
    const scale = 0.01 + r() * 0.1;
    for (let i = 0; i < f.length; i++) f[i] = (r() + r() + r() - 1.5) * scale; // roughly normal, like trained weights
    return Buffer.from(f.buffer);
}

const WORDS = "the model layer weight bias token embed attention head norm scale label class score input output shape batch".split(" ");
function textBlob(bytes: number, r: () => number): Buffer {
    const parts: string[] = [];
    let n = 0;
    while (n < bytes) {
        const line = `${WORDS[Math.floor(r() * WORDS.length)]}_${Math.floor(r() * 5000)}: ${(r() * 100).toFixed(3)}, "${WORDS[Math.floor(r() * WORDS.length)]}"\n`;
        parts.push(line);
        n += line.length;
    }
    return Buffer.from(parts.join("").slice(0, bytes));
}

/** Writes a synthetic model directory of about `mib` MiB; returns its exact size in bytes. */
export function makeSyntheticDir(dir: string, mib: number): number {
    const r = rng(mib * 7919);
    const total = mib * MIB;
    const write = (rel: string, data: Buffer | string) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), data);
    };
    write("code/inference.py", "def model_fn(d):\n    pass\n\ndef input_fn(b, c):\n    pass\n\ndef predict_fn(x, m):\n    pass\n\ndef output_fn(p, a):\n    pass\n");
    write("code/requirements.txt", "safetensors\n");
    const shards = Math.max(2, Math.round((0.8 * mib) / 100));
    for (let i = 0; i < shards; i++) {
        const name = `weights/model-${String(i + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.bin`;
        write(name, floatShard(Math.floor((0.8 * total) / shards), r));
    }
    let small = 0;
    for (let i = 0; i < 400; i++) {
        const size = 1024 * (1 + (i % 64));
        write(`assets/part-${String(Math.floor(i / 100))}/item-${String(i).padStart(4, "0")}.json`, textBlob(size, r));
        small += size;
    }
    const rest = Math.max(0, Math.floor(0.2 * total) - small);
    write("tokenizer/vocab.txt", textBlob(Math.floor(rest / 2), r));
    write("tokenizer/tokenizer.json", textBlob(rest - Math.floor(rest / 2), r));
    write("models.json", JSON.stringify({ models: [{ name: "synthetic", framework: "pytorch", path: `weights/model-00001-of-${String(shards).padStart(5, "0")}.bin`, task: "x", memoryBytes: total }] }));
    return listArchiveEntries(dir).reduce((n, e) => n + e.size, 0);
}

interface Sample { ms: number; cpuMs: number; rssMb: number; bytes?: number }

function runOnce(method: string, dir: string, out: string): Sample {
    fs.rmSync(out, { force: true });
    if (method in EXTERNAL) {
        const timeFile = `${out}.time`;
        const [cmd, ...args] = EXTERNAL[method](dir, out);
        const t0 = process.hrtime.bigint();
        const r = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, cmd, ...args], { stdio: ["ignore", "ignore", "pipe"] });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status !== 0) throw new Error(`${method} failed: ${r.stderr}`);
        const [rssKb, user, sys] = fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
        return { ms, cpuMs: (user + sys) * 1000, rssMb: rssKb / 1024, bytes: fs.statSync(out).size };
    }
    const child = () => spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--run-method", method, "--dir", dir, "--out", out],
        { encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, "..", "..", "tsconfig.json") } });
    if (method.endsWith("-cached")) {
        fs.rmSync(`${out}.cache.json`, { force: true });
        fs.rmSync(`${out}.hashes.json`, { force: true });
        child(); // untimed first build fills the cache
    }
    const r = child();
    if (r.status !== 0) throw new Error(`${method} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Sample;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

function machine(): string {
    const cpu = os.cpus();
    return `${cpu[0]?.model ?? "?"}, ${os.availableParallelism()} cores available, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, `
        + `node ${process.version}, zlib ${process.versions.zlib}, ${execFileSync("tar", ["--version"], { encoding: "utf8" }).split("\n")[0]}, `
        + `${execFileSync(PY, ["--version"], { encoding: "utf8" }).trim()} tarfile (compresslevel 9)`;
}

const help = (): string => `Usage: npm run bench:package -- [--sizes MIB,MIB] [--runs N] [--methods a,b] [--keep] [--tmp DIR]

Packaging benchmark (slow, not part of npm test): writes synthetic model directories of the given sizes
(default 100,1024 MiB) to a temp folder and times every method round-robin, --runs times each (default 3);
prints a Markdown table per size. Methods: ${[...Object.keys(OURS), ...Object.keys(EXTERNAL)].join(", ")}.
--keep leaves the synthetic directories; --tmp DIR puts them under DIR.

Examples:
  npm run bench:package -- --sizes 100 --runs 3
  npm run bench:package -- --sizes 1024 --runs 3 --methods ours,gnu-tar,python-tarfile,ours-cached`;

async function main(): Promise<void> {
    let values;
    try {
        ({ values } = parseArgs({ options: {
            sizes: { type: "string", default: "100,1024" }, runs: { type: "string", default: "3" }, methods: { type: "string" },
            keep: { type: "boolean" }, tmp: { type: "string" }, "run-method": { type: "string" }, dir: { type: "string" }, out: { type: "string" },
            help: { type: "boolean", short: "h" },
        } }));
    } catch (e) {
        throw new Error(`${(e as Error).message}; see npm run bench:package -- --help`);
    }
    if (values.help) { console.log(help()); return; }
    const sizes = values.sizes!.split(",").map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes ${values.sizes} must be positive MiB counts separated by commas, e.g. 100,1024`);
    if (values["run-method"]) {
        const t0 = process.hrtime.bigint();
        const cpu0 = process.cpuUsage();
        const bytes = await OURS[values["run-method"]](values.dir!, values.out!);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const cpu = process.cpuUsage(cpu0);
        console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, bytes: bytes ?? undefined }));
        return;
    }
    const methods = values.methods ? values.methods.split(",") : DEFAULT_METHODS;
    for (const m of methods) if (!(m in OURS) && !(m in EXTERNAL)) throw new Error(`unknown method ${m}; one of ${[...Object.keys(OURS), ...Object.keys(EXTERNAL)].join(", ")}`);
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} must be a positive integer`);
    const root = fs.mkdtempSync(path.join(values.tmp ?? os.tmpdir(), "bench-package-"));
    console.log(`machine: ${machine()}\nload average before: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
    try {
        for (const mib of sizes) {
            const dir = path.join(root, `model-${mib}`);
            const bytes = makeSyntheticDir(dir, mib);
            execFileSync("sh", ["-c", `cat $(find "${dir}" -type f) > /dev/null`]); // warm the page cache alike for everyone
            const samples: Record<string, Sample[]> = Object.fromEntries(methods.map((m) => [m, []]));
            for (let run = 0; run < runs; run++) {
                for (const m of methods) {
                    const s = runOnce(m, dir, path.join(root, `out-${mib}-${m}.tar.gz`));
                    samples[m].push(s);
                    process.stderr.write(`${mib} MiB run ${run + 1}/${runs} ${m}: ${(s.ms / 1000).toFixed(2)} s, cpu ${(s.cpuMs / 1000).toFixed(2)} s, ${s.rssMb.toFixed(0)} MB\n`);
                }
            }
            const med = (m: string) => median(samples[m].map((s) => s.ms));
            const full = methods.includes("ours") ? med("ours") : undefined;
            console.log(`### ${mib} MiB directory (${(bytes / MIB).toFixed(1)} MiB in ${listArchiveEntries(dir).filter((e) => e.type === "file").length} files), ${runs} runs each\n`);
            console.log("| method | median s (min-max) | MiB/s | x GNU tar time | Python time / this | % of ours full | CPU s (user+sys) | archive MiB | peak RSS MB |");
            console.log("|---|---|---|---|---|---|---|---|---|");
            for (const m of methods) {
                const ms = samples[m].map((s) => s.ms);
                const out = samples[m].find((s) => s.bytes !== undefined)?.bytes;
                const vsTar = methods.includes("gnu-tar") ? (med(m) / med("gnu-tar")).toFixed(3) : "-";
                const vsPy = methods.includes("python-tarfile") ? (med("python-tarfile") / med(m)).toFixed(1) : "-";
                const ofOurs = full ? `${((100 * med(m)) / full).toFixed(1)}%` : "-";
                console.log(`| ${m} | ${(med(m) / 1000).toFixed(3)} (${(Math.min(...ms) / 1000).toFixed(3)}-${(Math.max(...ms) / 1000).toFixed(3)}) `
                    + `| ${(bytes / MIB / (med(m) / 1000)).toFixed(1)} | ${vsTar} | ${vsPy} | ${ofOurs} | ${(median(samples[m].map((s) => s.cpuMs)) / 1000).toFixed(2)} `
                    + `| ${out ? (out / MIB).toFixed(1) : "-"} `
                    + `| ${Math.max(...samples[m].map((s) => s.rssMb)).toFixed(0)} |`);
            }
            console.log("");
            for (const f of fs.readdirSync(root)) if (f.startsWith(`out-${mib}-`)) fs.rmSync(path.join(root, f), { force: true });
            if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
        }
        console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    } finally {
        if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
    }
}

if (require.main === module) main().catch((e) => { console.error(`bench:package: ${(e as Error).message}`); process.exitCode = 1; });
