/**
 * The comparisons of `npm run test:container` (scripts/conformance/containerConformance.ts). Pure.
 */

export interface ConformanceRequest {
    name: string;
    /** null: no Content-Type header. */
    contentType: string | null;
    /** null: no Accept header. */
    accept: string | null;
    body: Buffer;
    /** The status the answer must have, and the JSON error code for an error. */
    expect: { status: number; code?: string };
}

export interface Answer {
    status: number;
    /** null: no Content-Type header. */
    contentType: string | null;
    body: Buffer;
}

/** The toolkit's marker between an error message and the traceback it appends (Transformer.handle_error). */
export const TRACEBACK = "\nTraceback (most recent call last):\n";

/**
 * A body with the toolkit's traceback: the message before it (the traceback names server file
 * paths and line numbers, which differ between the container and this machine), else the body.
 */
export function comparable(body: Buffer): { text: string; traceback: boolean } {
    const text = body.toString("utf8");
    const at = text.indexOf(TRACEBACK);
    return at < 0 ? { text, traceback: false } : { text: text.slice(0, at), traceback: true };
}

function show(text: string): string {
    return JSON.stringify(text.length > 160 ? `${text.slice(0, 160)}...` : text);
}

/** How the local answer differs from the toolkit's: status, Content-Type, body (a traceback's paths aside). */
export function comparisonProblems(real: Answer, local: Answer): string[] {
    const problems: string[] = [];
    if (real.status !== local.status) problems.push(`status: toolkit ${real.status}, npm start ${local.status}`);
    if (real.contentType !== local.contentType) problems.push(`Content-Type: toolkit ${real.contentType ?? "(none)"}, npm start ${local.contentType ?? "(none)"}`);
    const a = comparable(real.body), b = comparable(local.body);
    if (a.text !== b.text || a.traceback !== b.traceback) {
        problems.push(`body: toolkit ${show(a.text)}${a.traceback ? " + traceback" : ""}, npm start ${show(b.text)}${b.traceback ? " + traceback" : ""}`);
    }
    return problems;
}

/** The toolkit's answer against the request's expectation and the error contract (4xx = one JSON error document). */
export function toolkitProblems(r: ConformanceRequest, real: Answer): string[] {
    const problems: string[] = [];
    if (real.status !== r.expect.status) problems.push(`toolkit status ${real.status}, expected ${r.expect.status}`);
    if (real.status >= 400 && real.status < 500) {
        if (real.contentType !== "application/json") problems.push(`toolkit 4xx Content-Type ${real.contentType ?? "(none)"}, expected application/json`);
        let parsed: any;
        try { parsed = JSON.parse(real.body.toString("utf8")); } catch { parsed = undefined; }
        const err = parsed?.error;
        if (!parsed || Object.keys(parsed).length !== 1 || typeof err?.code !== "string" || typeof err?.message !== "string"
            || Object.keys(err).length !== 2) {
            problems.push(`toolkit 4xx body is not one JSON document {"error": {"code", "message"}}: ${show(real.body.toString("utf8"))}`);
        } else if (r.expect.code !== undefined && err.code !== r.expect.code) {
            problems.push(`toolkit error code ${err.code}, expected ${r.expect.code}`);
        }
    }
    return problems;
}
