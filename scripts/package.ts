/**
 * `npm run package -- --model-dir DIR --out FILE [--level N] [--chunk-mib N] [--jobs N]`
 * Validates the model directory, then writes the deterministic model.tar.gz and prints
 * its sha256, size and file count. Exit code 1 on validation errors, 2 on usage errors.
 */
import { parseArgs } from "node:util";
import { buildModelArchive } from "../components/modelArchive";
import { validateModelDir } from "../components/modelDir";

const USAGE = "usage: npm run package -- --model-dir DIR --out FILE [--level 0-9] [--chunk-mib N] [--jobs N] [--quiet]";

function intOption(raw: string | undefined, name: string, errors: string[]): number | undefined {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) {
        errors.push(`--${name} must be a non-negative integer (got "${raw}")`);
        return undefined;
    }
    return Number(raw);
}

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                "model-dir": { type: "string" }, out: { type: "string" }, level: { type: "string" },
                "chunk-mib": { type: "string" }, jobs: { type: "string" }, quiet: { type: "boolean" }, help: { type: "boolean" },
            },
            strict: true,
        }));
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const usage: string[] = [];
    if (!values["model-dir"]) usage.push("--model-dir DIR is required (e.g. --model-dir model-src)");
    if (!values.out) usage.push("--out FILE is required (e.g. --out build/model.tar.gz)");
    const level = intOption(values.level, "level", usage);
    const chunkMib = intOption(values["chunk-mib"], "chunk-mib", usage);
    const jobs = intOption(values.jobs, "jobs", usage);
    if (usage.length > 0) {
        console.error(`${usage.join("\n")}\n${USAGE}`);
        return 2;
    }
    const dir = values["model-dir"]!;
    const check = validateModelDir(dir);
    for (const w of check.warnings) console.error(`warning: ${w}`);
    if (check.errors.length > 0) {
        for (const e of check.errors) console.error(`error: ${e}`);
        console.error(`${check.errors.length} error(s) in ${dir}; nothing was packaged`);
        return 1;
    }
    const result = await buildModelArchive(dir, values.out!, {
        level, jobs, chunkBytes: chunkMib === undefined ? undefined : chunkMib * 1048576,
    });
    console.log(`sha256 ${result.sha256}`);
    console.log(`bytes  ${result.bytes} (${(result.bytes / 1048576).toFixed(2)} MiB)`);
    console.log(`files  ${result.files.length}`);
    console.log(`out    ${values.out}`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(`error: ${(err as Error).message}`); process.exitCode = 1; },
);
