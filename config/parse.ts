/**
 * Generic readers of raw stack config (strings, as pulumi.Config gives them; JSON for objects and
 * arrays), driven by config/schema.ts: one set shared by every key group. Each reader records its
 * problem in `errors` (one line naming the key and the fix) and returns the key's default, so a parse
 * reports every problem at once.
 */
import { closest } from "./closest";
import { keyNamer, KeySpec, Schema, SCHEMA, specOf } from "./schema";

export type RawConfig = Record<string, string | undefined>;

/** An integer key's bounds and unit, when a rule narrows the schema's (e.g. a step size in percent). */
export interface IntBounds { min?: number; max?: number; unit?: string }

export class Reader {
    readonly errors: string[] = [];

    /** The full key name for messages: `<project>:<key>`. */
    readonly K: (key: string) => string;

    constructor(readonly raw: RawConfig, readonly project: string, readonly schema: Schema = SCHEMA) {
        this.K = keyNamer(project);
    }

    spec(key: string): KeySpec {
        return specOf(key, this.schema);
    }

    def<T = unknown>(key: string): T {
        return this.spec(key).default as T;
    }

    /** The trimmed value, or undefined when unset or blank. */
    given(key: string): string | undefined {
        const v = this.raw[key]?.trim();
        return v === undefined || v === "" ? undefined : v;
    }

    /** True when the key is set to something other than its default as Pulumi.yaml spells it. */
    changed(key: string): boolean {
        const v = this.given(key);
        const d = this.def(key);
        return v !== undefined && v !== (typeof d === "object" ? JSON.stringify(d) : String(d));
    }

    str(key: string): string {
        return this.given(key) ?? String(this.def(key));
    }

    bool(key: string): boolean {
        const v = this.given(key);
        if (v === undefined) return this.def(key);
        if (/^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
        this.errors.push(`${this.K(key)}: "${v}" is not a boolean; set it to true or false.`);
        return this.def(key);
    }

    /** A whole number within the schema's range (or `over`'s); the default when unset or invalid. */
    int(key: string, over: IntBounds = {}): number {
        const spec = this.spec(key);
        const v = this.given(key);
        if (v === undefined) return spec.default as number;
        const [min, max] = [over.min ?? spec.range![0], over.max ?? spec.range![1]];
        const n = Number(v);
        if (/^-?\d+$/.test(v) && Number.isSafeInteger(n) && n >= min && n <= max) return n;
        this.errors.push(`${this.K(key)}: "${v}" ${rangeProblem(spec, min, max, over.unit ?? spec.unit!)}`);
        return spec.default as number;
    }

    /**
     * One of the schema's enum values (after `normalize`), or undefined when unset (use `str` for the
     * default) or invalid; `message` words the problem (default: the list of values).
     */
    choice<T extends string>(key: string, opts: { normalize?: (v: string) => string; message?: (v: string) => string } = {}): T | undefined {
        const v = this.str(key);
        const values = this.spec(key).enum ?? [];
        const n = opts.normalize ? opts.normalize(v) : v;
        if (values.includes(n)) return n as T;
        this.errors.push(`${this.K(key)}: ${opts.message ? opts.message(v) : `"${v}" is not one of ${values.join(", ")}; set one of them.`}`);
        return undefined;
    }

    /** A list of strings: JSON (structured config) or comma-separated; [] when unset or invalid. */
    list(key: string): string[] {
        const v = this.given(key);
        if (v === undefined) return [];
        let parsed: unknown;
        if (v.startsWith("[")) {
            try { parsed = JSON.parse(v); } catch { parsed = undefined; }
        } else {
            parsed = v.split(",").map((s) => s.trim()).filter(Boolean);
        }
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
        this.errors.push(`${this.K(key)}: ${JSON.stringify(v)} is not a list of strings; set it as a YAML list ` +
            `(pulumi config set --path '${key}[0]' <id>).`);
        return [];
    }

    /** A JSON object (structured config), undefined when unset; `what` words the error when it is not one. */
    object(key: string, what: string): Record<string, unknown> | undefined {
        const v = this.given(key);
        if (v === undefined) return undefined;
        let value: unknown;
        try { value = JSON.parse(v); } catch { value = undefined; }
        if (isObject(value)) return value;
        this.errors.push(`${this.K(key)}: ${JSON.stringify(v)} ${what}`);
        return undefined;
    }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The range error's wording: the core and production keys say how to set them, the others name the default. */
function rangeProblem(spec: KeySpec, min: number, max: number, unit: string): string {
    if (spec.group === "core" || spec.group === "production") {
        return `is not a whole number from ${min} to ${max}; set it to a whole number of ${unit} from ${min} to ${max}.`;
    }
    const def = spec.group === "topology" ? ` ${spec.default}` : "";
    return `is not a whole number of ${unit} from ${min} to ${max}; set one in that range, or remove it for the default${def}.`;
}

/** Keys of `raw` that no schema entry (nor `otherKeys`) declares, each with a "did you mean" when one is close. */
export function unknownKeyErrors(raw: RawConfig, project: string, schema: Schema = SCHEMA, otherKeys: readonly string[] = []): string[] {
    const known = schema.map((k) => k.key);
    const K = keyNamer(project);
    return Object.keys(raw).filter((key) => !known.includes(key) && !otherKeys.includes(key)).map((key) => {
        const hint = closest(key, known);
        return `${K(key)}: unknown config key${hint ? `; did you mean ${K(hint)}?` : ""} Remove it, or use one of the keys declared in Pulumi.yaml.`;
    });
}
