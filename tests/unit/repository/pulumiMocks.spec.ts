/** tests/support/pulumiMocks.ts: `settle` returns only once registrations still in flight have been recorded. */
import { allResources, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

describe("the Pulumi mocks' settle", () => {
    beforeEach(() => resetRecorded());

    it("waits for a resource whose inputs resolve long after the quiet period, as an archive still being built does", async () => {
        const late = new Promise<string>((resolve) => setTimeout(() => resolve("built"), 300));
        new pulumi.CustomResource("test:index:Late", "late", { value: late });
        await settle();
        assert.deepStrictEqual(allResources().map((r) => [r.name, r.inputs.value]), [["late", "built"]]);
    });
});
