import { strict as assert } from "assert";
import { formatProgress, throttleProgress } from "../../../packaging/archiveProgress";
import type { ArchiveProgress } from "../../../packaging/modelArchive";

const MIB = 1048576;
const p = (doneMiB: number, totalMiB: number, elapsedMs: number): ArchiveProgress =>
    ({ bytesDone: doneMiB * MIB, bytesTotal: totalMiB * MIB, bytesWritten: 0, elapsedMs });

describe("archive progress", function () {
    it("formats bytes, percent, throughput and time left", () => {
        assert.equal(formatProgress("model-src", p(512, 1024, 6400)), "packaging model-src: 512.0 / 1024.0 MiB (50%) at 80.0 MiB/s, 7 s left");
        assert.equal(formatProgress("model-src", p(1024, 1024, 12800)), "packaging model-src: 1024.0 / 1024.0 MiB (100%) at 80.0 MiB/s");
        assert.equal(formatProgress("m", p(0, 0, 0)), "packaging m: 0.0 / 0.0 MiB (100%) at 0.0 MiB/s");
    });

    it("forwards at most one report per interval and always the final one", () => {
        let t = 0;
        const seen: number[] = [];
        const report = throttleProgress((x) => seen.push(x.bytesDone / MIB), 1000, () => t);
        for (const [time, done] of [[0, 1], [500, 2], [999, 3], [1000, 4], [1500, 5], [1600, 10]]) {
            t = time;
            report(p(done, 10, time));
        }
        assert.deepEqual(seen, [1, 4, 10]);
    });
});
