/**
 * Captures what Pulumi's `log.warn` prints while a function runs. Under mocks there is no engine, so
 * `pulumi.log.warn` writes `warning: [runtime] <message>` with console.warn; a spec that expects a warning
 * captures and asserts it here instead of letting it reach the test output.
 */
export async function captureWarnings<T>(fn: () => Promise<T>, opts: { info?: boolean } = {}): Promise<{ result: T; warnings: string[]; infos: string[] }> {
    const warnings: string[] = [], infos: string[] = [];
    const original = { warn: console.warn, log: console.log };
    console.warn = (...args: unknown[]) => { warnings.push(args.map(String).join(" ")); };
    // with `info`, Pulumi's log.info lines ("info: [runtime] ...") are captured too; other console.log output is kept
    if (opts.info) {
        console.log = (...args: unknown[]) => {
            const line = args.map(String).join(" ");
            if (line.startsWith("info: [runtime] ")) infos.push(line); else original.log(...args);
        };
    }
    try {
        const result = await fn();
        return { result, warnings, infos };
    } finally {
        console.warn = original.warn;
        console.log = original.log;
    }
}
