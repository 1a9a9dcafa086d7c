/**
 * Captures what Pulumi's `log.warn` prints while a function runs. Under mocks there is no engine, so
 * `pulumi.log.warn` writes `warning: [runtime] <message>` with console.warn; a spec that expects a warning
 * captures and asserts it here instead of letting it reach the test output.
 */
export async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args.map(String).join(" ")); };
    try {
        const result = await fn();
        return { result, warnings };
    } finally {
        console.warn = original;
    }
}
