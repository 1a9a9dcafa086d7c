/**
 * Loaded with `-r` before `local/start.ts` by `npm run bench:startup` (never by npm start itself): records when
 * each step of a start happens, as seconds since the process started, and appends them as one JSON line to the
 * file named by STARTUP_STEPS_OUT when the ready line is written. It wraps two exported functions (the model
 * directory check and the archive) and reads the lines the endpoint already prints; nothing else changes.
 */
import Module from "module";

/** The steps of `npm start` after node starts, each from the previous mark to its own. */
export const STEP_MARKS: ReadonlyArray<{ mark: string; step: string }> = [
    { mark: "check start", step: "node start, loading `local/start.ts` and its modules from build/js" },
    { mark: "check end", step: "checking the model directory (the models.json schema's validator from build/validators)" },
    { mark: "archive start", step: "removing temporary folders of endpoints that are gone, the runtime API listening" },
    { mark: "archive end", step: "the archive: reused while the model directory is unchanged, copied into the temporary folder" },
    { mark: "extracted", step: "extracting it into `<tmp>/ml/model`" },
    { mark: "listening", step: "`local/server/serve.py` started and listening" },
    { mark: "worker loaded", step: "the worker loading the models (Python, importing numpy and torch, reading the weights)" },
    { mark: "ready", step: "`ready`: `/ping` is polled every 25 ms" },
];

/** Seconds from the first mark to each next one, per step (pure). */
export function stepSeconds(marks: Record<string, number>): Array<{ step: string; seconds: number }> {
    let last = 0;
    return STEP_MARKS.map(({ mark, step }) => {
        const at = marks[mark];
        if (at === undefined) throw new Error(`bench:startup: the start was not seen to reach "${mark}"`);
        const seconds = at - last;
        last = at;
        return { step, seconds };
    });
}

function install(out: string): void {
    const t0 = Date.now() - process.uptime() * 1000;
    const marks: Record<string, number> = {};
    const mark = (name: string) => { marks[name] ??= (Date.now() - t0) / 1000; };
    type Fn = (...a: unknown[]) => unknown;
    const wrap = (exports: Record<string, unknown>, name: string, start: string, end: string) => {
        const f = exports[name] as Fn;
        exports[name] = function (this: unknown, ...a: unknown[]) {
            mark(start);
            const r = f.apply(this, a);
            if (r instanceof Promise) return r.then((v) => { mark(end); return v; });
            mark(end);
            return r;
        };
    };
    const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = M._load;
    const wrapped = new Set<string>();
    M._load = function (this: unknown, request: string, ...rest: unknown[]) {
        const exports = load.call(this, request, ...rest) as Record<string, unknown>;
        const at = (suffix: string, name: string, start: string, end: string) => {
            if (request.endsWith(suffix) && !wrapped.has(suffix)) { wrapped.add(suffix); wrap(exports, name, start, end); }
        };
        at("/modelDir", "validateModelDir", "check start", "check end");
        at("/localArchive", "localArchive", "archive start", "archive end");
        return exports;
    };
    for (const stream of [process.stdout, process.stderr]) {
        const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
        stream.write = ((chunk: unknown, ...rest: unknown[]) => {
            const text = String(chunk);
            if (text.startsWith("archive: ")) mark("extracted");
            if (text.includes("serve: listening on")) mark("listening");
            if (text.includes("loaded the models in")) mark("worker loaded");
            if (text.startsWith("ready ")) {
                mark("ready");
                require("fs").appendFileSync(out, JSON.stringify(marks) + "\n");
            }
            return write(chunk, ...rest);
        }) as typeof stream.write;
    }
}

if (process.env.STARTUP_STEPS_OUT) install(process.env.STARTUP_STEPS_OUT);
