/**
 * `npm run docs`: checks (default) or re-renders (--write) every generated block of README.md and
 * docs/*.md (see scripts/docs/blocks.ts and scripts/docs/generators.ts). Blocks that show the local
 * endpoint's output start `npm start` on a free port for the run.
 */
import * as fs from "fs";
import * as path from "path";
import { Block, docFiles, findBlocks, masked, REPO, replaceBlock, unclosedMarkers } from "./blocks";
import { Endpoint, generatorFor } from "./generators";
import { startNpmStart, Started } from "./endpoint";
import { configDrift, writeGenerated } from "../../config/generate";

const HELP = `Usage: npm run docs -- [--write] [--only ID[,ID]]

Checks that every generated block (<!-- generated:ID --> ... <!-- /generated:ID -->) in README.md and
docs/*.md equals what its generator renders now (timings excepted), and (without --only) that Pulumi.yaml's
config block and the config table equal config/schema.ts's rendering; exits 1 naming each block or file
that drifted. --write re-renders them in place instead. --only ID[,ID] limits the run to those block ids.
Blocks showing the local endpoint's output start \`npm start\` on a free port (about a minute).

Examples:
  npm run docs
  npm run docs -- --write
  npm run docs -- --write --only test-inventory`;

export function allBlocks(): Block[] {
    return docFiles().flatMap((f) => findBlocks(f, fs.readFileSync(path.join(REPO, f), "utf8")));
}

async function main(argv: string[]): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) { console.log(HELP); return 0; }
    const write = argv.includes("--write");
    const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
    const unknown = argv.filter((a, i) => a !== "--write" && a !== "--only" && argv[i - 1] !== "--only");
    if (unknown.length || (argv.includes("--only") && !only)) { console.error(`docs: ${unknown.length ? `unknown argument ${unknown[0]}` : "--only needs a block id"}; see npm run docs -- --help`); return 2; }
    const problems: string[] = [];
    for (const f of docFiles()) for (const id of unclosedMarkers(fs.readFileSync(path.join(REPO, f), "utf8"))) problems.push(`${f}: <!-- generated:${id} --> has no <!-- /generated:${id} -->`);
    const blocks = allBlocks().filter((b) => !only || only.split(",").includes(b.id));
    for (const b of blocks) if (!generatorFor(b.id)) problems.push(`${b.file}: no generator for block "${b.id}"`);
    if (problems.length) { console.error(`docs: ${problems.join("; ")}`); return 1; }
    let started: Started | undefined;
    try {
        if (blocks.some((b) => generatorFor(b.id)!.endpoint)) started = await startNpmStart();
        const endpoint: Endpoint | undefined = started?.endpoint;
        const cache = new Map<string, Awaited<ReturnType<NonNullable<ReturnType<typeof generatorFor>>["render"]>>>();
        for (const b of blocks) {
            if (!cache.has(b.id)) cache.set(b.id, await generatorFor(b.id)!.render(endpoint));
            const r = cache.get(b.id)!;
            if (write) {
                const file = path.join(REPO, b.file);
                fs.writeFileSync(file, replaceBlock(fs.readFileSync(file, "utf8"), b.id, r.text.trimEnd()));
            } else if (masked(b.content, r.volatile) !== masked(r.text, r.volatile)) {
                problems.push(`${b.file}: block "${b.id}" differs from what its generator renders now`);
            }
        }
    } finally {
        await started?.stop();
    }
    // Pulumi.yaml's config block and the docs' config table, rendered from config/schema.ts.
    if (!only && write) writeGenerated();
    else if (!only) problems.push(...configDrift());
    if (problems.length) { console.error(`docs: ${problems.join("; ")}; run: npm run docs -- --write`); return 1; }
    console.log(write ? `docs: rendered ${blocks.length} block(s)` : `docs: ${blocks.length} generated block(s) up to date`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(`docs: ${(e as Error).message.split("\n")[0]}`); process.exitCode = 1; });
}
