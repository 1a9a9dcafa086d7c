import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { COMMAND, configRows, parseConfigTable, renderConfigTable, TABLE_END, TABLE_START } from "../../../config/generate";
import { ROOT } from "../../support/endpointFixture";

/** Where the documented config table lives (README.md links to it). */
const DOC = "docs/configuration.md";
const pulumiRows = () => configRows(parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")));
/** What the docs must agree on: key, type, default (the meaning may be worded for readers). */
const contract = (rows: Array<{ key: string; type: string; default: unknown }>) => rows.map((r) => ({ key: r.key, type: r.type, default: r.default }));

describe("one documented config surface: the docs' config table is Pulumi.yaml's config block", () => {
    it("renders a table that parses back to Pulumi.yaml's keys, types, defaults and meanings", () => {
        const rows = pulumiRows();
        assert.ok(rows.length >= 50, `${rows.length} keys`);
        assert.deepStrictEqual(parseConfigTable(renderConfigTable(rows)).rows?.map((r) => ({ ...r, description: r.description.replace(/&lt;/g, "<").replace(/&gt;/g, ">") })), rows);
    });

    it("escapes pipes and angle brackets, and names a malformed row", () => {
        const table = renderConfigTable([{ key: "k", type: "string", default: "a|b", description: "x | <y>" }]);
        assert.ok(table.includes("| `k` | string | `\"a\\|b\"` | x \\| &lt;y&gt; |"), table);
        assert.deepStrictEqual(parseConfigTable(table).rows, [{ key: "k", type: "string", default: "a|b", description: "x | &lt;y&gt;" }]);
        assert.deepStrictEqual(parseConfigTable(`${TABLE_START}\n| a | b | c | d |\n|---|---|---|---|\n| k | string |\n${TABLE_END}`), { error: "malformed row: | k | string |" });
        assert.match(parseConfigTable("no table").error ?? "", /^no "<!-- config-table:start -->" \.\.\. "<!-- config-table:end -->" block$/);
    });

    it("docs/configuration.md holds the table between the config-table markers, equal to Pulumi.yaml in keys, types and defaults", () => {
        const readme = path.join(ROOT, DOC);
        const fix = `run \`${COMMAND}\` (it renders the table between the markers from config/schema.ts)`;
        assert.ok(fs.existsSync(readme), `${DOC} does not exist; ${fix}.`);
        const parsed = parseConfigTable(fs.readFileSync(readme, "utf8"));
        assert.ok(parsed.rows, `${DOC}: ${parsed.error}; ${fix}.`);
        const readmeRows = contract(parsed.rows!);
        const expected = contract(pulumiRows());
        const missing = expected.filter((e) => !readmeRows.some((r) => r.key === e.key)).map((e) => e.key);
        const extra = readmeRows.filter((r) => !expected.some((e) => e.key === r.key)).map((r) => r.key);
        assert.deepStrictEqual({ missing, extra }, { missing: [], extra: [] }, `${DOC}'s config table differs from Pulumi.yaml's keys; ${fix}.`);
        assert.deepStrictEqual(readmeRows, expected, `${DOC}'s config table differs from Pulumi.yaml (types, defaults or order); ${fix}.`);
    });
});
