/**
 * Generated blocks in the docs: every figure, count and sample output in README.md and docs/*.md sits
 * between `<!-- generated:ID -->` and `<!-- /generated:ID -->` and is rendered by the generator ID
 * (scripts/docs/generators.ts). `npm run docs -- --write` re-renders them; tests/integration/tooling/docsExamples.spec.ts
 * fails when one differs from what its generator gives now. Pure helpers here; no I/O but file reads.
 */
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");

/** README.md and every docs/*.md, as repository-relative paths. */
export function docFiles(root = REPO): string[] {
    const docs = fs.existsSync(path.join(root, "docs")) ? fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`) : [];
    return ["README.md", ...docs];
}

export interface Block { file: string; id: string; start: number; end: number; content: string }

const BLOCK = /<!-- generated:([A-Za-z0-9/._:-]+) -->\n([\s\S]*?)\n?<!-- \/generated:\1 -->/g;

/** Every generated block of `text` (content without the markers). Pure. */
export function findBlocks(file: string, text: string): Block[] {
    const out: Block[] = [];
    for (const m of text.matchAll(BLOCK)) out.push({ file, id: m[1], start: m.index!, end: m.index! + m[0].length, content: m[2] });
    return out;
}

/** Opening markers without a matching closing marker. Pure. */
export function unclosedMarkers(text: string): string[] {
    const opened = [...text.matchAll(/<!-- generated:([A-Za-z0-9/._:-]+) -->/g)].map((m) => m[1]);
    const closed = new Set(findBlocks("", text).map((b) => b.id));
    return opened.filter((id) => !closed.has(id));
}

/** `text` with the block `id` holding `content`. Pure. */
export function replaceBlock(text: string, id: string, content: string): string {
    return text.replace(BLOCK, (whole, bid: string) => (bid === id ? `<!-- generated:${bid} -->\n${content}\n<!-- /generated:${bid} -->` : whole));
}

/** What a generator gives: the text, and patterns of the parts that change from run to run (timings). */
export interface Rendered { text: string; volatile?: RegExp[] }

/** The text with its volatile parts replaced by "#", for comparing two renderings. Pure. */
export function masked(text: string, volatile: RegExp[] = []): string {
    return volatile.reduce((t, re) => t.replace(re, " #"), text.trim());
}

export interface Fence { file: string; line: number; lang: string; code: string }

/** Every fenced code block (```lang ... ```), with its 1-based line. Pure. */
export function fences(file: string, text: string): Fence[] {
    const out: Fence[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
        if (!open) continue;
        const indent = open[1].length;
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent));
        out.push({ file, line: i + 1, lang: open[2], code: body.join("\n") });
        i = j;
    }
    return out;
}

/** Shell commands of a block: continuation lines joined, comments and blank lines dropped. Pure. */
export function shellCommands(code: string): string[] {
    const joined = code.replace(/\\\n\s*/g, " ");
    return joined.split("\n").map((l) => l.replace(/(^|\s)#.*$/, "").trim()).filter((l) => l.length > 0);
}
