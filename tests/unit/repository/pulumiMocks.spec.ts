/** tests/support/pulumiMocks.ts: `settle` returns only once registrations still in flight have been recorded. */
import { allResources, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

/** A resource of a made-up type, registered with the inputs it is given. */
class Late extends pulumi.CustomResource {
    constructor(name: string, args: pulumi.Inputs) { super("test:index:Late", name, args); }
}

describe("the Pulumi mocks' settle", () => {
    beforeEach(() => resetRecorded());

    it("waits for a resource whose inputs resolve long after the quiet period, as an archive still being built does", async () => {
        const late = new Promise<string>((resolve) => setTimeout(() => resolve("built"), 300));
        new Late("late", { value: late });
        await settle();
        assert.deepStrictEqual(allResources().map((r) => [r.name, r.inputs.value]), [["late", "built"]]);
    });
});
