/** Time bounds and error lines of the smoke test's network calls (InvokeEndpoint, DescribeEndpoint), for the AWS SDK's request handler. */

/** Longest wait for one answer by default: SageMaker's 60 s invocation limit plus a model load on first use. */
export const DEFAULT_TIMEOUT_SECONDS = 120;
/** Longest wait for a TCP (and TLS) connection. */
export const CONNECT_TIMEOUT_MS = 10000;

/** Request-handler options: connect within CONNECT_TIMEOUT_MS, answer within `timeoutMs`, a timeout is an error. */
export function requestBounds(timeoutMs: number) {
    return { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: timeoutMs, throwOnRequestTimeout: true };
}

/** One line naming the error (no stack, newlines folded). */
export function describe(err: unknown): string {
    const e = err as { name?: string; message?: string; OriginalStatusCode?: number; OriginalMessage?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
    const status = e.$metadata?.httpStatusCode !== undefined ? ` (HTTP ${e.$metadata.httpStatusCode}, ${e.$metadata.attempts ?? 1} attempt(s))` : "";
    return `${e.name ?? "Error"}${status}: ${e.OriginalMessage ?? e.message ?? String(err)}`.replace(/\s*\n\s*/g, " | ");
}

// ETIMEDOUT is left out: the SDK gives it to an answer that did not come in time (something did answer the connection).
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const CONNECT_TIMEOUT = /did not establish a connection/;

/** One line when `err` means that nothing answered at the target's address (no HTTP status at all), else undefined. Pure. */
export function unreachableMessage(err: unknown, target: { endpoint?: string; region: string }): string | undefined {
    const e = err as { code?: string; errno?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.$metadata?.httpStatusCode !== undefined) return undefined;
    const code = [e.code, e.errno, e.name].find((c) => c !== undefined && CONNECTION_CODES.has(c))
        ?? [...CONNECTION_CODES].find((c) => (e.message ?? "").includes(c))
        ?? (CONNECT_TIMEOUT.test(e.message ?? "") ? "no connection within the connect timeout" : undefined);
    if (code === undefined) return undefined;
    if (target.endpoint) return `nothing answers at ${target.endpoint} (${code}): is \`npm start\` running? Start it in another terminal and wait for its "ready" line`;
    return `cannot reach SageMaker Runtime in ${target.region} (${code}): check the network, the region and any proxy settings`;
}
