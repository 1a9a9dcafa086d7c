/**
 * Text from a request made safe for one log line: credentials redacted (SigV4 signatures in a query
 * string or an Authorization header, security tokens), control characters escaped (a `%0A` decoded
 * into a name cannot start a forged line), and long text cut. Pure.
 */

/** Longest piece of request text kept in a log line. */
export const LOG_TEXT_MAX = 300;

const SECRET_PARAMS = /((?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature)=)[^&\s,]*/gi;

/** `text` with signature, credential and token values replaced by `REDACTED`. */
export function redact(text: string): string {
    return text.replace(SECRET_PARAMS, "$1REDACTED");
}

/** Control characters (C0, DEL, C1, line and paragraph separators) as `\xNN` / `\uNNNN`; backslashes doubled. */
export function escapeControl(text: string): string {
    return text.replace(/[\\\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
        if (c === "\\") return "\\\\";
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    });
}

/** Redacted, escaped, and at most LOG_TEXT_MAX characters (then `...(N more)`). */
export function logText(text: string, max = LOG_TEXT_MAX): string {
    const safe = escapeControl(redact(text));
    return safe.length > max ? `${safe.slice(0, max)}...(${safe.length - max} more)` : safe;
}
