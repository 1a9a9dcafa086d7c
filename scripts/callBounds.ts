/** Time bounds of the smoke test's network calls (InvokeEndpoint, DescribeEndpoint), for the AWS SDK's request handler. */

/** Longest wait for one answer by default: SageMaker's 60 s invocation limit plus a model load on first use. */
export const DEFAULT_TIMEOUT_SECONDS = 120;
/** Longest wait for a TCP (and TLS) connection. */
export const CONNECT_TIMEOUT_MS = 10000;

/** Request-handler options: connect within CONNECT_TIMEOUT_MS, answer within `timeoutMs`, a timeout is an error. */
export function requestBounds(timeoutMs: number) {
    return { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: timeoutMs, throwOnRequestTimeout: true };
}
