/**
 * `npm run bench:package [-- --scale F --runs N --shapes a,b --methods a,b --write --keep --tmp DIR]`
 *
 * Times `npm run package` as a user runs it (a whole process, so whatever start-up the command has
 * today is included) against GNU `tar -czf`, `tar | pigz -p2`, `tar | pigz -1 -p2` and Python's
 * `tarfile` (the article's way) on three reproducible model-directory shapes (scripts/bench/benchShapes.ts),
 * round-robin with the order rotated every round, and prints per shape the medians, the ratios
 * package/baseline and a floor estimate. `--write` saves the output as docs/figures/bench-package.md.
 * Slow at full scale (minutes per shape): not part of `npm test`.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "node:util";
import { makeShape, Shape, SHAPES, SHAPE_TITLES } from "./benchShapes";
import { FIGURES_FILE, formatShape, median, Method, Sample, ShapeResult } from "./benchPackageReport";
import { ALLOCATOR_ENV } from "../../sagemaker/containerEnv";

const PY = "/usr/bin/python3";
const PY_TARFILE = "import sys, tarfile\nwith tarfile.open(sys.argv[2], 'w:gz') as t:\n    t.add(sys.argv[1], arcname='.')";
const REPO = path.resolve(__dirname, "..", "..");
const pkg = (d: string, o: string, ...extra: string[]) => ["npm", "run", "package", "--silent", "--", "--model-dir", d, "--out", o, "--quiet", ...extra];
const tarPipe = (d: string, o: string, pigz: string) => ["sh", "-c", `tar -cf - -C '${d}' . | ${pigz} > '${o}'`];

/** Every timed command: each run is one whole process tree, timed by /usr/bin/time (wall, user+sys CPU, peak RSS). */
export const METHODS: Method[] = [
    { id: "package", name: "package", how: "`npm run package -- --model-dir D --out O --quiet`, archive and cache record removed before each run (cold build)",
        command: (d, o) => pkg(d, o), cold: true },
    { id: "package-jobs1", name: "package --jobs 1", how: "the same with `--jobs 1`", command: (d, o) => pkg(d, o, "--jobs", "1"), cold: true },
    { id: "package-jobs2", name: "package --jobs 2", how: "the same with `--jobs 2`", command: (d, o) => pkg(d, o, "--jobs", "2"), cold: true },
    { id: "package-rerun", name: "package, unchanged rerun", how: "`npm run package` again with nothing changed (the cache record of an untimed build in place)",
        command: (d, o) => pkg(d, o), cold: false },
    { id: "gnu-tar", name: "tar -czf", how: "GNU `tar -czf O -C D .` (gzip -6, one core)", command: (d, o) => ["tar", "-czf", o, "-C", d, "."], cold: true },
    { id: "tar-pigz", name: "tar | pigz -p2", how: "`tar -cf - -C D . | pigz -p2 > O` (level 6, two threads)", command: (d, o) => tarPipe(d, o, "pigz -p2"), cold: true },
    { id: "pigz-1", name: "pigz -1 -p2", how: "`tar -cf - -C D . | pigz -1 -p2 > O` (level 1, two threads)", command: (d, o) => tarPipe(d, o, "pigz -1 -p2"), cold: true },
    { id: "python-tarfile", name: "python tarfile", how: `\`${PY}\` \`tarfile.open(O, "w:gz")\` + \`add(D)\` (compresslevel 9, the article's way)`,
        command: (d, o) => [PY, "-c", PY_TARFILE, d, o], cold: true },
];

function timed(cmd: string[], timeFile: string): Sample {
    const t0 = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, ...cmd], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.status}): ${r.stderr.trim().split("\n").pop()}`);
    const [user, sys, rssKb] = fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    return { ms, cpuMs: (user + sys) * 1000, rssMb: rssKb / 1024, stdout: r.stdout };
}

function runMethod(m: Method, dir: string, out: string): Sample {
    if (m.cold) for (const f of [out, `${out}.cache.json`]) fs.rmSync(f, { force: true });
    else if (!fs.existsSync(`${out}.cache.json`)) timed(m.command(dir, out), `${out}.time`); // untimed build fills the cache
    const s = timed(m.command(dir, out), `${out}.time`);
    if (!m.cold && !/nothing changed/.test(s.stdout ?? "")) throw new Error(`${m.name}: the rerun rebuilt instead of reusing the archive`);
    return { ...s, bytes: fs.statSync(out).size, sha256: /^sha256 ([0-9a-f]{64})$/m.exec(s.stdout ?? "")?.[1] };
}

/**
 * The floor estimate's work, in a child (`--floor-work DIR OUT`): the same read, member choice and
 * compression, sha256 and write as `package`, done once in one thread with no overlap and no CLI;
 * prints its CPU ms (user+sys, every thread of the process) and the ms spent hashing (one pass over the whole
 * archive in order, which no number of cores shortens).
 */
async function floorWork(dir: string, out: string): Promise<void> {
    const { listArchiveEntries } = await import("../../packaging/archiveEntries");
    const { ChunkChannel, gzipMember } = await import("../../packaging/gzipMembers");
    const { ChunkPool, produceTarChunks } = await import("../../packaging/tarStream");
    const { DEFAULT_CHUNK_BYTES, DEFAULT_LEVEL } = await import("../../packaging/modelArchive");
    const entries = listArchiveEntries(dir);
    const cpu0 = process.cpuUsage();
    const pool = new ChunkPool(DEFAULT_CHUNK_BYTES, 2);
    const channel = new ChunkChannel();
    const reading = produceTarChunks(entries, pool, (c) => channel.push(c)).then(() => channel.end(), (e: Error) => channel.fail(e));
    const hash = crypto.createHash("sha256");
    const fd = fs.openSync(out, "w");
    let hashNs = 0n;
    for (let chunk = await channel.take(); chunk !== undefined; chunk = await channel.take()) {
        for (const part of await gzipMember(chunk, DEFAULT_LEVEL, "auto")) {
            const t = process.hrtime.bigint();
            hash.update(part);
            hashNs += process.hrtime.bigint() - t;
            fs.writeSync(fd, part);
        }
        pool.release(chunk);
    }
    fs.closeSync(fd);
    await reading;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, hashMs: Number(hashNs) / 1e6, sha256: hash.digest("hex") }));
}

/**
 * Floor estimate: the command's start-up (npm's own start + `node -e 0`) plus the floor work's CPU spread over the
 * cores, or its sequential sha256 pass when that is longer. The work runs with the glibc allocator settings that
 * `npm run package` sets (package.json), so the floor pays no page faults the command does not.
 */
function floorSample(dir: string, out: string, startupMs: number): { ms: number; workCpuMs: number } {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--floor-work", dir, out],
        { cwd: REPO, encoding: "utf8", env: { ...process.env, ...ALLOCATOR_ENV, TS_NODE_PROJECT: path.join(REPO, "tsconfig.json") } });
    if (r.status !== 0) throw new Error(`floor work failed: ${r.stderr.trim().split("\n").pop()}`);
    const { cpuMs, hashMs } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { cpuMs: number; hashMs: number };
    return { ms: startupMs + Math.max(cpuMs / os.availableParallelism(), hashMs), workCpuMs: cpuMs };
}

function machine(): string {
    const cpu = os.cpus();
    return `${cpu[0]?.model ?? "?"}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version} `
        + `(zlib ${process.versions.zlib}), ${execFileSync("tar", ["--version"], { encoding: "utf8" }).split("\n")[0]}, `
        + `pigz ${execFileSync("pigz", ["--version"], { encoding: "utf8" }).trim().replace(/^pigz /, "")}, `
        + `${execFileSync(PY, ["--version"], { encoding: "utf8" }).trim()}`;
}

const HELP = `Usage: npm run bench:package -- [--scale F] [--runs N] [--shapes a,b] [--methods a,b] [--write] [--keep] [--tmp DIR]

Times npm run package (whole processes, as a user runs it) against tar -czf, tar | pigz -p2, tar | pigz -1 -p2
and Python tarfile on three generated model directories (${SHAPES.map((s) => `${s}: ${SHAPE_TITLES[s]}`).join("; ")}),
--runs rounds (default 3) in rotated round-robin order; prints medians, ratios package/baseline and a floor estimate.
--scale multiplies the directory sizes (default 1; e.g. 0.05 for a quick run). --write saves the output to
${FIGURES_FILE}. Methods: ${METHODS.map((m) => m.id).join(", ")}.
Slow at scale 1 (about 30 minutes for 3 rounds on 2 cores): not part of npm test.

Examples:
  npm run bench:package -- --write
  npm run bench:package -- --scale 0.05 --runs 1 --shapes small --methods package,pigz-1`;

async function main(): Promise<void> {
    const { values } = parseArgs({ options: {
        scale: { type: "string", default: "1" }, runs: { type: "string", default: "3" }, shapes: { type: "string" }, methods: { type: "string" },
        write: { type: "boolean" }, keep: { type: "boolean" }, tmp: { type: "string" }, help: { type: "boolean", short: "h" },
        "floor-work": { type: "string" },
    }, allowPositionals: true });
    if (values.help) return console.log(HELP);
    if (values["floor-work"]) return floorWork(values["floor-work"], process.argv[process.argv.length - 1]);
    const scale = Number(values.scale);
    const runs = Number(values.runs);
    const shapes = (values.shapes?.split(",") ?? [...SHAPES]) as Shape[];
    const methods = values.methods ? values.methods.split(",").map((n) => METHODS.find((m) => m.id === n)) : METHODS;
    const problems = [
        ...(!(scale > 0 && scale <= 4) ? [`--scale ${values.scale} must be a number above 0 and at most 4`] : []),
        ...(!Number.isInteger(runs) || runs < 1 ? [`--runs ${values.runs} must be a positive integer`] : []),
        ...shapes.filter((s) => !SHAPES.includes(s)).map((s) => `--shapes: unknown shape ${s} (one of ${SHAPES.join(", ")})`),
        ...(methods.includes(undefined) ? [`--methods: unknown method in ${values.methods} (one of ${METHODS.map((m) => m.id).join(", ")})`] : []),
        ...(methods[0]?.id !== "package" ? ["--methods must start with package (the ratios are package/baseline)"] : []),
    ];
    if (problems.length > 0) throw new Error(problems.join("; "));
    const root = fs.mkdtempSync(path.join(values.tmp ?? os.tmpdir(), "bench-package-"));
    const started = new Date();
    const lines: string[] = [];
    const say = (l = "") => { console.log(l); lines.push(l); };
    try {
        // what every `npm run package` pays before packing: npm's own start (a script name npm does not find, so it
        // runs nothing) and Node's
        const npmStart = median(Array.from({ length: 5 }, () => timed(["npm", "run", "--silent", "--if-present", "bench-floor-no-such-script"], path.join(root, "npm.time")).ms));
        const nodeStart = median(Array.from({ length: 5 }, () => timed([process.execPath, "-e", "0"], path.join(root, "node.time")).ms));
        const startup = npmStart + nodeStart;
        const results: ShapeResult[] = [];
        for (const shape of shapes) {
            const dir = path.join(root, shape);
            const inputBytes = makeShape(shape, dir, scale);
            execFileSync("sh", ["-c", `find '${dir}' -type f -exec cat {} + > /dev/null`]); // page cache warm for every method alike
            const samples = new Map<Method, Sample[]>(methods.map((m) => [m as Method, []]));
            const floors: number[] = [];
            for (let run = 0; run < runs; run++) {
                const order = [...methods.slice(run % methods.length), ...methods.slice(0, run % methods.length)] as Method[];
                for (const m of order) {
                    const s = runMethod(m, dir, path.join(root, `out-${m.id}.tar.gz`));
                    samples.get(m)!.push(s);
                    process.stderr.write(`${shape} round ${run + 1}/${runs} ${m.name}: ${(s.ms / 1000).toFixed(2)} s, cpu ${(s.cpuMs / 1000).toFixed(2)} s\n`);
                }
                floors.push(floorSample(dir, path.join(root, "out-floor.tar.gz"), startup).ms);
            }
            results.push({ shape, inputBytes, files: Number(execFileSync("sh", ["-c", `find '${dir}' -type f | wc -l`], { encoding: "utf8" })), samples, floorMs: median(floors) });
            for (const f of fs.readdirSync(root)) if (f.startsWith("out-")) fs.rmSync(path.join(root, f), { force: true });
            if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
        }
        const command = `npm run bench:package --${values.scale !== "1" ? ` --scale ${values.scale}` : ""}${values.runs !== "3" ? ` --runs ${values.runs}` : ""}`
            + `${values.shapes ? ` --shapes ${values.shapes}` : ""}${values.methods ? ` --methods ${values.methods}` : ""}${values.write ? " --write" : ""}`;
        say(`<!-- generated by \`${command}\` on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC; ${machine()}; `
            + `load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")} at the end. Rerun it to regenerate this file. -->`);
        for (const r of results) formatShape(r, runs, startup).forEach((l) => say(l));
        say("How each figure was taken: every run is one whole command (process start-up included), timed from spawn to exit; "
            + "CPU is user+sys of the command and its children (`/usr/bin/time`); the input is in the page cache for every method (read once before the first run); "
            + "outputs go to a temp folder (not synced). Commands:");
        for (const m of methods) say(`- ${m!.name}: ${m!.how}`);
        say(`- floor estimate: start-up (npm's own start, median ${(npmStart / 1000).toFixed(2)} s, + \`node -e 0\`, median ${(nodeStart / 1000).toFixed(2)} s) `
            + `+ the larger of the CPU of the same work done once in one thread (read, member choice and compression, sha256, write; `
            + `scripts/bench/benchPackage.ts --floor-work, with the allocator settings \`npm run package\` sets) / ${os.availableParallelism()} cores `
            + "and its sha256 pass (one ordered pass over the archive, which more cores do not shorten).");
        if (values.write) fs.writeFileSync(path.join(REPO, FIGURES_FILE), `${lines.join("\n")}\n`);
    } finally {
        if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
    }
}

if (require.main === module) main().catch((e) => { console.error(`bench:package: ${(e as Error).message}; see npm run bench:package -- --help`); process.exitCode = 1; });
