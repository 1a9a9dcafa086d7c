/**
 * Progress for long packaging: pure formatting and throttling, for Pulumi's log during
 * `pulumi up` and for the progress bar of `npm run package`.
 *
 * Pulumi wiring (in a component):
 *   onProgress: throttleProgress((p) => pulumi.log.info(formatProgress("model-src", p), this), 2000)
 */
import type { ArchiveProgress } from "./modelArchive";

const MIB = 1048576;

/** `packaging model-src: 512.0 / 1024.0 MiB (50%) at 80.0 MiB/s, 6 s left` */
export function formatProgress(label: string, p: ArchiveProgress): string {
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const rate = p.elapsedMs > 0 ? p.bytesDone / MIB / (p.elapsedMs / 1000) : 0;
    const left = rate > 0 ? Math.ceil((p.bytesTotal - p.bytesDone) / MIB / rate) : undefined;
    return `packaging ${label}: ${(p.bytesDone / MIB).toFixed(1)} / ${(p.bytesTotal / MIB).toFixed(1)} MiB (${pct}%)`
        + ` at ${rate.toFixed(1)} MiB/s${left !== undefined && p.bytesDone < p.bytesTotal ? `, ${left} s left` : ""}`;
}

/**
 * Forwards at most one report per `everyMs` (the first report after the interval), and
 * always the final one (bytesDone === bytesTotal). `now` is injectable for tests.
 */
export function throttleProgress(
    report: (p: ArchiveProgress) => void, everyMs: number, now: () => number = Date.now,
): (p: ArchiveProgress) => void {
    let last = -Infinity;
    return (p) => {
        const t = now();
        if (p.bytesDone >= p.bytesTotal || t - last >= everyMs) {
            last = t;
            report(p);
        }
    };
}
