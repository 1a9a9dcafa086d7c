/**
 * Renders what config/schema.ts is the source of: Pulumi.yaml's `config:` block (the rest of the file
 * is kept) and the config table of docs/configuration.md (between the config-table markers). Each
 * generated region says it is generated. `npm run config` checks both (exit 1 naming the file that
 * drifted), `npm run config -- --write` re-renders them; `npm run docs` runs the same check and write,
 * and tests/unit/config/configSchema.spec.ts fails when a committed file differs.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { describe, HANDLER_CACHE_DEFAULTS, KeySpec, PROJECT, Schema, SCHEMA } from "./schema";

export const ROOT = path.resolve(__dirname, "..");
export const COMMAND = "npm run config -- --write";
export const GENERATED_NOTE = `generated from config/schema.ts by \`${COMMAND}\`; edit the schema, not this block`;
export const TABLE_START = "<!-- config-table:start -->";
export const TABLE_END = "<!-- config-table:end -->";
export const DOC = "docs/configuration.md";

/** Comment lines above a group of keys in Pulumi.yaml (the first group, core, has the header instead). */
const GROUP_TITLES: Record<string, string> = {
    core: "Endpoint, container and network (config/config.ts).",
    modelCache: "Model cache of the router (config/modelCacheConfig.ts; docs/model-cache.md); the handler's own defaults: model-src/code/mme/cache_defaults.json.",
    production: "Production rollout (config/productionConfig.ts; docs/production.md).",
    topology: "Topology (config/topologyConfig.ts; docs/topologies.md).",
};

/** One YAML scalar or flow value, on one line. */
const scalar = (v: unknown): string => stringify(v, { lineWidth: 0, flowCollectionPadding: false }).trimEnd();

/** Pure: the lines of one key's declaration, indented for the `config:` block. */
function declaration(k: KeySpec): string[] {
    const lines = [`  ${k.key}:`];
    if (k.type === "object") lines.push("    # untyped: Pulumi's project config types have no object; the value is a map.");
    else lines.push(`    type: ${k.type}`);
    if (k.type === "array") lines.push("    items:", "      type: string");
    lines.push(`    default: ${scalar(k.default)}`, `    description: ${scalar(describe(k))}`);
    return lines;
}

/** Pure: Pulumi.yaml's `config:` block for `schema`, header comments included. */
export function pulumiConfigBlock(schema: Schema = SCHEMA): string {
    const lines = ["config:", `  # ${GENERATED_NOTE}.`,
        "  # Every key has a default because Pulumi requires a value for each declared key; \"\" (and 0 for",
        "  # volumeSizeInGb and modelCacheBytes) means \"not set\"."];
    let group = "core";
    for (const k of schema) {
        if (k.group !== group && GROUP_TITLES[k.group]) lines.push(`  # ${GROUP_TITLES[k.group]}`);
        group = k.group;
        lines.push(...declaration(k));
    }
    return lines.join("\n") + "\n";
}

/** Pure: `pulumiYaml` with its `config:` block (up to the next top-level key or the end) replaced by the schema's. */
export function renderPulumiYaml(pulumiYaml: string, schema: Schema = SCHEMA): string {
    const lines = pulumiYaml.replace(/\n*$/, "\n").split("\n").slice(0, -1);
    const start = lines.findIndex((l) => /^config:\s*$/.test(l));
    if (start < 0) return `${lines.join("\n")}\n${pulumiConfigBlock(schema)}`;
    const next = lines.findIndex((l, i) => i > start && /^[^\s#]/.test(l));
    const end = next < 0 ? lines.length : next;
    const after = lines.slice(end);
    return [...lines.slice(0, start), pulumiConfigBlock(schema).trimEnd(), ...after].join("\n") + "\n";
}

/** One key as the docs table shows it. `type` is "map" for untyped (object) keys. */
export interface ConfigRow { key: string; type: string; default: unknown; description: string }

/** Pure: the rows of the schema, in its order. */
export function schemaRows(schema: Schema = SCHEMA): ConfigRow[] {
    return schema.map((k) => ({ key: k.key, type: tableType(k.type === "object" ? undefined : k.type, "string"), default: k.default, description: describe(k) }));
}

const tableType = (type: string | undefined, items: string | undefined) => (type === undefined ? "map" : type === "array" && items ? `array of ${items}` : type);

/** Pure: the rows of a parsed Pulumi.yaml, in its order (to compare the committed file with the table). */
export function configRows(doc: unknown): ConfigRow[] {
    const config = (doc as { config?: Record<string, { type?: string; items?: { type?: string }; default?: unknown; description?: string }> })?.config ?? {};
    return Object.entries(config).map(([key, d]) => ({ key, type: tableType(d.type, d.items?.type), default: d.default, description: d.description ?? "" }));
}

/** Markdown-safe cell text: pipes escaped, angle brackets as entities (GitHub drops unknown tags), one line. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\s*\n\s*/g, " ");

/** Pure: the Markdown table, markers included. */
export function renderConfigTable(rows: ConfigRow[]): string {
    return [
        TABLE_START,
        `<!-- ${GENERATED_NOTE} -->`,
        "",
        `Every key is \`${PROJECT}:<key>\` (set with \`pulumi config set <key> <value>\`); "" and 0 mean "not set" where the meaning says so.`,
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
        ...rows.map((r) => `| \`${r.key}\` | ${r.type} | \`${JSON.stringify(r.default).replace(/\|/g, "\\|")}\` | ${cell(r.description)} |`),
        "",
        TABLE_END,
    ].join("\n");
}

/** Pure: `markdown` with the table between the markers replaced by the schema's (an error when the markers are missing). */
export function renderDoc(markdown: string, schema: Schema = SCHEMA): string {
    const start = markdown.indexOf(TABLE_START);
    const end = markdown.indexOf(TABLE_END);
    if (start < 0 || end < start) throw new Error(`${DOC}: no "${TABLE_START}" ... "${TABLE_END}" block; add the two markers where the table goes`);
    return markdown.slice(0, start) + renderConfigTable(schemaRows(schema)) + markdown.slice(end + TABLE_END.length);
}

/** Pure: one group's keys as a docs table (key, container variable where there is one, default, meaning), for `<!-- generated:config-keys:<group> -->`. */
export function keyGroupTable(group: string, schema: Schema = SCHEMA): string {
    const keys = schema.filter((k) => k.group === group);
    if (keys.length === 0) throw new Error(`config-keys:${group}: config/schema.ts has no key group "${group}"`);
    const env = keys.some((k) => k.env);
    const meaning = (k: KeySpec) => cell(describe(k).replace(`${k.env}: `, ""));
    return [`| key |${env ? " environment |" : ""} default | meaning |`, `|---|${env ? "---|" : ""}---|---|`,
        ...keys.map((k) => `| \`${k.key}\` |${env ? ` \`${k.env}\` |` : ""} \`${JSON.stringify(k.default)}\` | ${meaning(k)} |`)].join("\n");
}

/** Pure: the router's defaults when a cache variable is unset (model-src/code/mme/cache_defaults.json), for `<!-- generated:handler-cache-defaults -->`. */
export function handlerDefaultsTable(): string {
    const d = HANDLER_CACHE_DEFAULTS;
    const f = d.MODEL_CACHE_FRACTION;
    return ["| environment variable | meaning | default |", "|---|---|---|",
        "| `MODEL_CACHE_BYTES` | budget in bytes (positive integer); wins over the fraction | unset |",
        `| \`MODEL_CACHE_FRACTION\` | budget as a fraction (0, 1] of the device's total memory, per worker | on CUDA ${f} / ⌈\`SAGEMAKER_MODEL_SERVER_WORKERS\` / GPUs⌉ (the workers sharing one GPU); on CPU ${f} / \`SAGEMAKER_MODEL_SERVER_WORKERS\` (1 when unset) |`,
        `| \`MODEL_LOAD_RETRY_SECONDS\` | after a failed load, requests get the same 500 for this long, then the next request retries | ${d.MODEL_LOAD_RETRY_SECONDS} |`,
        `| \`MODEL_CACHE_WAIT_SECONDS\` | how long a request waits for in-use models to free room before 503 | ${d.MODEL_CACHE_WAIT_SECONDS} |`].join("\n");
}

/** Splits a Markdown table row on unescaped pipes. */
function cells(line: string): string[] {
    const out: string[] = [];
    let cur = "";
    for (let i = 0; i < line.length; i++) {
        if (line[i] === "\\" && line[i + 1] === "|") { cur += "|"; i++; } else if (line[i] === "|") { out.push(cur.trim()); cur = ""; } else cur += line[i];
    }
    out.push(cur.trim());
    return out.slice(1, -1);
}

/** Pure: the rows of the table between the markers in `markdown`, or an error naming what is wrong. */
export function parseConfigTable(markdown: string): { rows?: ConfigRow[]; error?: string } {
    const start = markdown.indexOf(TABLE_START);
    const end = markdown.indexOf(TABLE_END);
    if (start < 0 || end < start) return { error: `no "${TABLE_START}" ... "${TABLE_END}" block` };
    const rows: ConfigRow[] = [];
    const body = markdown.slice(start + TABLE_START.length, end).split(/\r?\n/).filter((l) => l.trim().startsWith("|"));
    for (const line of body.slice(2)) { // header and separator
        const c = cells(line.trim());
        const key = /^`([^`]+)`$/.exec(c[0] ?? "")?.[1];
        const def = /^`(.*)`$/.exec(c[2] ?? "")?.[1];
        if (c.length !== 4 || !key || def === undefined) return { error: `malformed row: ${line}` };
        let value: unknown;
        try { value = JSON.parse(def); } catch { return { error: `row ${key}: default ${def} is not JSON` }; }
        rows.push({ key, type: c[1], default: value, description: c[3] });
    }
    return { rows };
}

/** A file the schema generates (part of): its path under the root and its full text as rendered now. */
export interface GeneratedFile { file: string; text: string }

/** The generated files under `root`, rendered from `schema` over their current text. */
export function generatedFiles(root: string = ROOT, schema: Schema = SCHEMA): GeneratedFile[] {
    const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
    return [
        { file: "Pulumi.yaml", text: renderPulumiYaml(read("Pulumi.yaml"), schema) },
        { file: DOC, text: renderDoc(read(DOC), schema) },
    ];
}

/** The generated files under `root` whose committed text differs from the rendering, as one line each. */
export function configDrift(root: string = ROOT, schema: Schema = SCHEMA): string[] {
    return generatedFiles(root, schema).filter((g) => fs.readFileSync(path.join(root, g.file), "utf8") !== g.text)
        .map((g) => `${g.file}: differs from what config/schema.ts renders; run ${COMMAND}`);
}

/** Writes the generated files under `root`; returns the ones that changed. */
export function writeGenerated(root: string = ROOT, schema: Schema = SCHEMA): string[] {
    const changed = generatedFiles(root, schema).filter((g) => fs.readFileSync(path.join(root, g.file), "utf8") !== g.text);
    for (const g of changed) fs.writeFileSync(path.join(root, g.file), g.text);
    return changed.map((g) => g.file);
}

const HELP = `Usage: npm run config -- [--write]

Checks that Pulumi.yaml's config block and the config table of ${DOC} equal what config/schema.ts
(the one table of every config key) renders; exits 1 naming each file that drifted. --write re-renders
them in place (the rest of both files is kept).

Examples:
  npm run config
  npm run config -- --write`;

if (require.main === module) {
    const args = process.argv.slice(2);
    const unknown = args.find((a) => a !== "--write");
    if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(HELP + "\n");
    } else if (unknown) {
        process.stderr.write(`config: unknown argument ${unknown}; see npm run config -- --help\n`);
        process.exitCode = 2;
    } else {
        try {
            const write = args.includes("--write");
            const out = write ? writeGenerated() : configDrift();
            if (!write && out.length > 0) { process.stderr.write(`config: ${out.join("; ")}\n`); process.exitCode = 1; }
            else process.stdout.write(write ? `config: ${out.length ? `rendered ${out.join(", ")}` : "nothing to change"}\n` : "config: Pulumi.yaml and the docs table are up to date\n");
        } catch (e) {
            process.stderr.write(`config: ${(e as Error).message.split("\n")[0]}\n`);
            process.exitCode = 1;
        }
    }
}
