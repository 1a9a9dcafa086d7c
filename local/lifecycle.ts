/** Limits and warnings of `npm start`'s lifecycle (local/start.ts, local/endpoint.ts). Pure. */
import * as net from "net";

/** Longest SAGEMAKER_MODEL_SERVER_TIMEOUT accepted locally, in seconds (an hour; finite, so timers can hold it). */
export const MAX_MODEL_SERVER_TIMEOUT_S = 3600;
/** On stop: longest wait for in-flight invocations before the model server is stopped. */
export const DRAIN_MS = 3000;
/** On stop: the model server's grace after SIGTERM before its whole process group gets SIGKILL. */
export const TERM_GRACE_MS = 2000;
/**
 * Backstop of `npm start`'s stop: the bounded steps of stop() (drain, grace, SIGKILL, closing connections)
 * take well under this; if they do not, the model server's group is killed and the temp folder removed anyway.
 */
export const SHUTDOWN_BOUND_MS = 15000;

/** True for addresses that only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.x, localhost. */
export function isLoopbackHost(host: string): boolean {
    const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
    if (h === "localhost" || h.endsWith(".localhost")) return true;
    if (net.isIPv4(h)) return h.startsWith("127.");
    if (net.isIPv6(h)) return h === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
    return false;
}

/** The warning for a runtime API bound to `host`, or undefined for loopback. */
export function bindWarning(host: string): string | undefined {
    if (isLoopbackHost(host)) return undefined;
    return `LOCAL_BIND_HOST=${host}: the runtime API will be reachable from other machines, and it accepts the ` +
        `published test credentials (local / local-secret unless LOCAL_AWS_ACCESS_KEY_ID is set); anyone who can reach ` +
        `this address can invoke your models. Use 127.0.0.1 unless you mean it (the model server stays on loopback).`;
}
