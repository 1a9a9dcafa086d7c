/**
 * JSON Schema validators without compiling the schema at run time: ajv's standalone code
 * (`ajv/dist/standalone`) for a schema is generated once into `build/validators/<name>.js` and loaded from
 * there, so a command neither loads ajv's compiler (about 80 modules) nor compiles the schema on each start.
 *
 * Never stale: the generated file ends with a line holding the sha256 of what it was made from (this
 * format's version, ajv's version, the options, the schema's text) and of its own code. A file is used only
 * when that line matches what is computed now from the file's code and the schema as it is now; on any
 * difference (a changed schema, an ajv upgrade, other options, a truncated or edited file) the validator is
 * generated again before use. The code that is checked is the code that runs (compiled from the same text,
 * never required by path). Removing build/validators is always safe.
 *
 * The generated function is the one `ajv.compile` returns for the same schema and options, so its verdicts
 * and error objects are the same (tests/unit/jsonSchema/standalone.spec.ts compares them).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import Module from "module";
import * as path from "path";
import type { Options, ValidateFunction } from "ajv";
import type * as WriteFileAtomic from "write-file-atomic";

/** Bump when the shape of the generated files changes. */
const FORMAT = "1";
/** Where generated validators are kept (the repository's build/, beside build/js). */
export const VALIDATORS_DIR = path.resolve(__dirname, "..", "build", "validators");

export interface StandaloneSchema {
    /** File name of the generated validator: `<dir>/<name>.js`. Letters, digits, `.`, `_` and `-`. */
    name: string;
    /** The schema's JSON text as read (its hash decides freshness). */
    text: string;
    /** ajv options (JSON Schema 2020-12, `ajv/dist/2020`); `code.source` is added for the standalone output. */
    options: Options;
    /** Where to keep the generated file. @default VALIDATORS_DIR */
    dir?: string;
}

let ajvVersionRead: string | undefined;
const ajvVersion = (): string => (ajvVersionRead ??= (require("ajv/package.json") as { version: string }).version);

const sha256 = (...parts: string[]): string => {
    const h = crypto.createHash("sha256");
    for (const p of parts) h.update(p).update("\0");
    return h.digest("hex");
};

/** What a validator is made from: changes with the schema, the options, ajv's version or this format. */
export function standaloneKey(s: StandaloneSchema): string {
    return sha256(FORMAT, ajvVersion(), JSON.stringify(s.options), s.text);
}

const trailerOf = (key: string, code: string) => `\n// validator-sha256 ${sha256(key, code)}\n`;

/** The code of a generated file when its last line matches `key` and its code; undefined otherwise. */
export function verifiedCode(fileText: string, key: string): string | undefined {
    const at = fileText.lastIndexOf("\n// validator-sha256 ");
    if (at < 0) return undefined;
    const code = fileText.slice(0, at);
    return fileText.slice(at) === trailerOf(key, code) ? code : undefined;
}

/** ajv's standalone module text for the schema (loads ajv's compiler; only on a miss). */
function generate(s: StandaloneSchema): string {
    const Ajv2020 = (require("ajv/dist/2020") as typeof import("ajv/dist/2020")).default;
    const standaloneCode = (require("ajv/dist/standalone") as typeof import("ajv/dist/standalone")).default;
    const ajv = new Ajv2020({ ...s.options, code: { ...s.options.code, source: true } });
    return standaloneCode(ajv, ajv.compile(JSON.parse(s.text)));
}

/** Runs a module's code as the file `file`; its require() of ajv's runtime helpers finds the ajv this module finds. */
function moduleFrom(code: string, file: string): ValidateFunction {
    const m = new Module(file, module);
    m.filename = file;
    m.paths = module.paths;
    (m as unknown as { _compile: (code: string, file: string) => void })._compile(code, file);
    return m.exports as ValidateFunction;
}

/**
 * Writes atomically with write-file-atomic (temporary name, then rename): two commands starting at once never read half
 * a file. The library loads here, on a write: a start with up-to-date validators needs none.
 */
function writeAtomic(target: string, text: string): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    (require("write-file-atomic") as typeof WriteFileAtomic).sync(target, text, { fsync: false });
}

/** Where the validator `name` is kept. */
export function validatorFile(s: Pick<StandaloneSchema, "name" | "dir">): string {
    if (!/^[A-Za-z0-9._-]+$/.test(s.name) || s.name.startsWith(".")) throw new Error(`validator name "${s.name}": use letters, digits, ".", "_" and "-"`);
    return path.join(s.dir ?? VALIDATORS_DIR, `${s.name}.js`);
}

/**
 * The validator of a schema: from its generated file when that is fresh and intact, else generated now (and
 * stored; a read-only checkout still works, generating each time). Throws what ajv throws for a bad schema.
 */
export function standaloneValidator(s: StandaloneSchema): { validate: ValidateFunction; generated: boolean } {
    const file = validatorFile(s);
    const key = standaloneKey(s);
    let text: string | undefined;
    try { text = fs.readFileSync(file, "utf8"); } catch { /* not generated yet */ }
    const code = text === undefined ? undefined : verifiedCode(text, key);
    if (code !== undefined) return { validate: moduleFrom(code, file), generated: false };
    const fresh = generate(s);
    try { writeAtomic(file, fresh + trailerOf(key, fresh)); } catch { /* read-only: used from memory */ }
    return { validate: moduleFrom(fresh, file), generated: true };
}
