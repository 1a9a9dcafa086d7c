/**
 * The docs' config table, made from Pulumi.yaml's `config:` block (the one documented config
 * surface): `npx ts-node --transpile-only scripts/configTable.ts [Pulumi.yaml]` prints it between the
 * markers docs/configuration.md keeps it in. tests/unit/readmeConfig.spec.ts checks that table against
 * Pulumi.yaml with `parseConfigTable`.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const TABLE_START = "<!-- config-table:start -->";
export const TABLE_END = "<!-- config-table:end -->";
export const PROJECT = "gpu-multi-model-endpoint";

/** One key as the table shows it. `type` is "map" for Pulumi.yaml's untyped `environment`. */
export interface ConfigRow { key: string; type: string; default: unknown; description: string }

/** Pure: the rows of a parsed Pulumi.yaml, in its order. */
export function configRows(doc: unknown): ConfigRow[] {
    const config = (doc as { config?: Record<string, { type?: string; items?: { type?: string }; default?: unknown; description?: string }> })?.config ?? {};
    return Object.entries(config).map(([key, d]) => ({
        key,
        type: d.type === undefined ? "map" : d.type === "array" && d.items?.type ? `array of ${d.items.type}` : d.type,
        default: d.default,
        description: d.description ?? "",
    }));
}

/** Markdown-safe cell text: pipes escaped, angle brackets as entities (GitHub drops unknown tags), one line. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\s*\n\s*/g, " ");

/** Pure: the Markdown table, markers included. */
export function renderConfigTable(rows: ConfigRow[]): string {
    const lines = [
        TABLE_START,
        `<!-- generated from Pulumi.yaml by: npx ts-node --transpile-only scripts/configTable.ts -->`,
        "",
        `Every key is \`${PROJECT}:<key>\` (set with \`pulumi config set <key> <value>\`); "" and 0 mean "not set" where the meaning says so.`,
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
        ...rows.map((r) => `| \`${r.key}\` | ${r.type} | \`${JSON.stringify(r.default).replace(/\|/g, "\\|")}\` | ${cell(r.description)} |`),
        "",
        TABLE_END,
    ];
    return lines.join("\n");
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

/**
 * Pure: the rows of the table between the markers in `markdown`, or an error naming what is wrong
 * (missing markers, a malformed row or default).
 */
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

const HELP = `Usage: npx ts-node --transpile-only scripts/configTable.ts [PULUMI_YAML]

Prints the configuration table (Markdown) generated from the config block of Pulumi.yaml (default: the
project's). docs/configuration.md holds it between the config-table markers; tests/unit/readmeConfig.spec.ts
fails when they differ.

Examples:
  npx ts-node --transpile-only scripts/configTable.ts
  npx ts-node --transpile-only scripts/configTable.ts path/to/Pulumi.yaml`;

if (require.main === module) {
    const arg = process.argv[2];
    if (arg === "--help" || arg === "-h") {
        process.stdout.write(HELP + "\n");
    } else if (arg?.startsWith("-")) {
        process.stderr.write(`configTable: unknown option ${arg}; see --help\n`);
        process.exitCode = 2;
    } else {
        const file = path.resolve(arg ?? path.join(__dirname, "..", "Pulumi.yaml"));
        try {
            process.stdout.write(renderConfigTable(configRows(parse(fs.readFileSync(file, "utf8")))) + "\n");
        } catch (e) {
            process.stderr.write(`configTable: cannot read the config block of ${file}: ${(e as Error).message.split("\n")[0]}; pass the project's Pulumi.yaml\n`);
            process.exitCode = 1;
        }
    }
}
