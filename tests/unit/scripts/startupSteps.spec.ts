import { strict as assert } from "assert";
import { stepsTable } from "../../../scripts/bench/benchStartupReport";
import { STEP_MARKS, stepSeconds } from "../../../scripts/bench/startupSteps";

describe("bench:startup's steps of npm start", () => {
    it("turns the marks of one start into seconds per step, each from the previous mark", () => {
        const marks = Object.fromEntries(STEP_MARKS.map((m, i) => [m.mark, (i + 1) * 0.25]));
        const steps = stepSeconds(marks);
        assert.deepEqual(steps.map((s) => s.seconds), STEP_MARKS.map(() => 0.25));
        assert.equal(steps[0].step, STEP_MARKS[0].step);
    });

    it("refuses a start that did not reach a step", () => {
        const marks = Object.fromEntries(STEP_MARKS.slice(0, -1).map((m, i) => [m.mark, i]));
        assert.throws(() => stepSeconds(marks), /was not seen to reach "ready"/);
    });

    it("prints each step's median and range", () => {
        assert.equal(stepsTable([{ step: "a", seconds: [0.3, 0.1, 0.2] }]), "| step | seconds: median (min-max) |\n|---|---:|\n| a | 0.200 (0.100-0.300) |");
    });
});
