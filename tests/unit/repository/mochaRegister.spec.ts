/**
 * The specs' loader (tests/support/mocha/register.js): Pulumi's promise-tracking stacks are left unmapped
 * (tests/support/mocha/promiseStacks.js), every other stack still points at the TypeScript source line.
 */
import * as assert from "assert";
import * as fs from "fs";

interface Typed { n: number }

function debuggablePromise(): string | undefined {
    return new Error("tracked").stack;
}

describe("the mocha loader's stacks", () => {
    it("gives a stack captured in Pulumi's debuggablePromise only the error's first line", () => {
        assert.strictEqual(debuggablePromise(), "Error: tracked");
    });

    it("keeps every other stack source-mapped to the TypeScript line", () => {
        const typed: Typed = { n: 1 };
        const stack = new Error("mapped").stack ?? ""; // the line this test looks for
        const line = fs.readFileSync(__filename, "utf8").split("\n").findIndex((l) => l.includes("// the line this test looks for")) + 1;
        assert.ok(stack.includes(`mochaRegister.spec.ts:${line}:`), `expected ${__filename}:${line} in\n${stack}`);
        assert.strictEqual(typed.n, 1);
    });
});
