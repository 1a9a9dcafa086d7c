/**
 * `npm run package -- --model-dir DIR --out FILE [--level N] [--chunk-mib N] [--jobs N]
 *   [--strategy auto|default] [--no-cache] [--quiet]`
 * Validates the model directory, then writes the deterministic model.tar.gz and prints
 * its sha256, size and file count; a progress bar on a terminal. Reuses the previous
 * archive when nothing changed (record in FILE.cache.json). Exit code 1 on validation
 * errors, 2 on usage errors.
 */
import type * as CliProgress from "cli-progress";
import { parseArgs } from "node:util";
import { ArchiveProgress, buildModelArchive, resolveOutFile } from "../packaging/modelArchive";
import { validateModelDir } from "../packaging/modelDir";

const USAGE = "Usage: npm run package -- --model-dir DIR --out FILE [--level 0-9] [--chunk-mib N] [--jobs N]"
    + " [--strategy auto|default] [--no-cache] [--quiet]";
const HELP = `${USAGE}

Validates the model directory and packs it into a deterministic model.tar.gz (the archive pulumi up
uploads); prints its sha256, size, file count and time. An unchanged directory reuses the previous
archive (<out>.cache.json) unless --no-cache. Exit 1 on a directory problem (all listed), 2 on bad arguments.

  --model-dir DIR   the model directory (code/inference.py, models.json, model folders)
  --out FILE        the archive; outside DIR, written to a temporary name and renamed
  --level 0-9       zlib level for compressible data (default 1)
  --strategy S      auto (store what does not compress, default) or default (always deflate)
  --chunk-mib N     uncompressed MiB per gzip member (default 4)
  --jobs N          members compressed at once (default: the cores; never changes the bytes)
  --no-cache        always rebuild
  --quiet           no progress bar

Examples:
  npm run package -- --model-dir model-src --out build/model.tar.gz
  npm run package -- --model-dir model-src --out build/smallest.tar.gz --strategy default --level 6 --no-cache`;
const MIB = 1048576;

/** A cli-progress bar in MiB, or nothing when stdout is not a terminal. */
function progressBar(enabled: boolean): { update: (p: ArchiveProgress) => void; stop: () => void } {
    if (!enabled) return { update: () => undefined, stop: () => undefined };
    let bar: CliProgress.SingleBar | undefined;
    return {
        update: (p) => {
            const payload = { done: (p.bytesDone / MIB).toFixed(1), all: (p.bytesTotal / MIB).toFixed(1),
                rate: p.elapsedMs > 0 ? (p.bytesDone / MIB / (p.elapsedMs / 1000)).toFixed(1) : "0.0" };
            if (!bar) {
                // loaded on the first progress: an unchanged rerun, which packs nothing, does not load it
                const { SingleBar } = require("cli-progress") as typeof CliProgress;
                bar = new SingleBar({
                    format: "packaging |{bar}| {percentage}% | {done}/{all} MiB | {rate} MiB/s | ETA {eta}s",
                    hideCursor: true, clearOnComplete: true,
                });
                bar.start(p.bytesTotal, p.bytesDone, payload);
            } else bar.update(p.bytesDone, payload);
        },
        stop: () => bar?.stop(),
    };
}

function intOption(raw: string | undefined, name: string, errors: string[]): number | undefined {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) {
        errors.push(`--${name} must be a non-negative integer (got "${raw}")`);
        return undefined;
    }
    return Number(raw);
}

/** Output streams of the CLI (process.stdout/stderr by default; tests pass their own). */
export interface PackageIo { out: (line: string) => void; err: (line: string) => void; tty: boolean }
const PROCESS_IO: PackageIo = { out: (l) => console.log(l), err: (l) => console.error(l), tty: Boolean(process.stdout.isTTY) };

/** The CLI: returns the exit code (0 packed, 1 model-directory or output problems, 2 usage). Never throws. */
export async function runPackage(argv: string[], io: PackageIo = PROCESS_IO): Promise<number> {
    try {
        return await main(argv, io);
    } catch (err) {
        io.err(`error: ${(err as Error).message}`);
        return 1;
    }
}

async function main(argv: string[], io: PackageIo): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                "model-dir": { type: "string" }, out: { type: "string" }, level: { type: "string" },
                "chunk-mib": { type: "string" }, jobs: { type: "string" }, strategy: { type: "string" },
                "no-cache": { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean" },
            },
            strict: true,
        }));
    } catch (e) {
        io.err(`package: ${(e as Error).message}; see npm run package -- --help`);
        return 2;
    }
    if (values.help) {
        io.out(HELP);
        return 0;
    }
    const usage: string[] = [];
    if (!values["model-dir"]) usage.push("--model-dir DIR is required (e.g. --model-dir model-src)");
    if (!values.out) usage.push("--out FILE is required (e.g. --out build/model.tar.gz)");
    const level = intOption(values.level, "level", usage);
    const chunkMib = intOption(values["chunk-mib"], "chunk-mib", usage);
    const jobs = intOption(values.jobs, "jobs", usage);
    const strategy = values.strategy;
    if (strategy !== undefined && strategy !== "auto" && strategy !== "default") {
        usage.push(`--strategy must be auto or default (got "${strategy}")`);
    }
    if (usage.length > 0) {
        io.err(`package: ${usage.join("; ")}; see npm run package -- --help`);
        return 2;
    }
    const dir = values["model-dir"]!;
    const check = validateModelDir(dir);
    try {
        resolveOutFile(dir, values.out!);
    } catch (e) {
        check.errors.push((e as Error).message);
    }
    for (const w of check.warnings) io.err(`warning: ${w}`);
    if (check.errors.length > 0) {
        for (const e of check.errors) io.err(`error: ${e}`);
        io.err(`${check.errors.length} error(s) in ${dir}; nothing was packaged`);
        return 1;
    }
    const bar = progressBar(io.tty && !values.quiet);
    const started = Date.now();
    let result;
    try {
        result = await buildModelArchive(dir, values.out!, {
            level, jobs, strategy: strategy as "auto" | "default" | undefined, cache: !values["no-cache"],
            chunkBytes: chunkMib === undefined ? undefined : chunkMib * MIB, onProgress: bar.update, entries: check.entries,
        });
    } finally {
        bar.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    io.out(`sha256 ${result.sha256}`);
    io.out(`bytes  ${result.bytes} (${(result.bytes / 1048576).toFixed(2)} MiB)`);
    io.out(`files  ${result.files.length}`);
    io.out(`out    ${values.out}`);
    io.out(result.cached ? `time   ${seconds.toFixed(2)} s (nothing changed: reused the previous archive)`
        : `time   ${seconds.toFixed(2)} s (${(result.tarBytes / MIB / Math.max(seconds, 0.001)).toFixed(1)} MiB/s of tar input)`);
    return 0;
}

if (require.main === module) {
    runPackage(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
