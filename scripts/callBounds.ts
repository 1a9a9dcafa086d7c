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
