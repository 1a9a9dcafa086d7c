/**
 * The URN of every resource a stack declares is its identity in the state: a renamed or re-parented child
 * would be deleted and created again on a user's next `pulumi up`. This spec records the URN, type and name
 * set of dev, prod and components stacks under the Pulumi mocks, with each resource's lifecycle options
 * (protect, retainOnDelete, deleteBeforeReplace, dependsOn), and compares them with
 * tests/fixtures/resourceUrns.json, which was generated once from main's code at commit b8f1180, before
 * GpuModelEndpoint was reshaped into factories (`WRITE_URN_FIXTURE=1` rewrites it: only do that when a rename
 * is intended and migrated with aliases).
 */
import { resetRecorded } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { deploy } from "../../support/deploy";
import { deployComponents, makeTwoModelDir } from "../../support/componentsFixture";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";

const FIXTURE = path.join(__dirname, "..", "..", "fixtures", "resourceUrns.json");

/** What decides a resource's fate on the next `pulumi up`, besides its inputs. */
interface Lifecycle { protect?: boolean; retainOnDelete?: boolean; deleteBeforeReplace?: boolean; dependsOn?: string[] }

/**
 * URNs as the engine forms them (the qualified type is every ancestor's type below the stack, joined by `$`),
 * each with its lifecycle options (protect, retainOnDelete, deleteBeforeReplace, dependsOn by name).
 */
function urnRecorder() {
    const qualified = new Map<pulumi.Resource, string>();
    const urns = new Map<string, Lifecycle>();
    const transformation: pulumi.ResourceTransformation = (args) => {
        const parent = args.opts.parent && qualified.get(args.opts.parent);
        const type = parent ? `${parent}$${args.type}` : args.type;
        qualified.set(args.resource, type);
        const o = args.opts as pulumi.CustomResourceOptions;
        const deps = o.dependsOn === undefined ? [] : Array.isArray(o.dependsOn) ? o.dependsOn : [o.dependsOn];
        const lifecycle: Lifecycle = { protect: o.protect, retainOnDelete: o.retainOnDelete, deleteBeforeReplace: o.deleteBeforeReplace,
            dependsOn: deps.map((d) => (pulumi.Resource.isInstance(d) ? (d as any).__name as string : "<output>")).sort() };
        for (const k of Object.keys(lifecycle) as (keyof Lifecycle)[]) {
            const v = lifecycle[k];
            if (v === undefined || (Array.isArray(v) && v.length === 0)) delete lifecycle[k];
        }
        urns.set(`urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${args.name}`, lifecycle);
        return undefined;
    };
    return { transformation, urns: () => [...urns.keys()].sort(), lifecycles: () => Object.fromEntries([...urns].sort(([a], [b]) => a.localeCompare(b))) };
}

const STACKS: Record<string, (t: pulumi.ResourceTransformation) => Promise<unknown>> = {
    "dev (router, archive)": (t) => { const { base } = makeModelDir(); return deploy(stackSettings("dev", "model"), base, "ep", [t]); },
    "dev (router, uncompressed)": (t) => {
        const { base } = makeModelDir();
        return deploy(stackSettings("dev", "model", { modelDataMode: "uncompressed" }), base, "ep", [t]);
    },
    "prod (router, autoscaling, alarms, canary, capture)": (t) => { const { base } = makeModelDir(); return deploy(stackSettings("prod", "model"), base, "ep", [t]); },
    "dev (components)": (t) => {
        const { base } = makeTwoModelDir();
        return deployComponents(stackSettings("dev", "model", { topology: "components" }), base, "ep", [t]);
    },
    "prod (components, managed scaling to 4)": (t) => {
        const { base } = makeTwoModelDir();
        return deployComponents(stackSettings("prod", "model", { topology: "components", autoscaling: "false",
            componentsMaxInstanceCount: "4", componentMaxCopies: "4" }), base, "ep", [t]);
    },
};

describe("resource URNs: what a stack declares keeps its identity", function () {
    this.timeout(120000);
    const actual: Record<string, Record<string, Lifecycle>> = {};
    const expected = () => JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Record<string, Record<string, Lifecycle>>;

    before(async () => {
        for (const [stack, run] of Object.entries(STACKS)) {
            resetRecorded();
            const rec = urnRecorder();
            await run(rec.transformation);
            actual[stack] = rec.lifecycles();
        }
        resetRecorded();
        if (process.env.WRITE_URN_FIXTURE === "1") fs.writeFileSync(FIXTURE, JSON.stringify(actual, null, 2) + "\n");
    });

    for (const stack of Object.keys(STACKS)) {
        it(`declares exactly the recorded URNs (type and name under the same parents) for the ${stack} stack`, () => {
            assert.ok(expected()[stack], `no recorded URNs for ${stack} in ${FIXTURE}`);
            assert.deepStrictEqual(Object.keys(actual[stack]), Object.keys(expected()[stack]));
        });

        it(`keeps every resource's protect, retainOnDelete, deleteBeforeReplace and dependsOn for the ${stack} stack`, () => {
            assert.deepStrictEqual(actual[stack], expected()[stack]);
        });
    }

    it("records a different URN when a child is renamed (the comparison can fail)", () => {
        const rec = urnRecorder();
        const parent = new pulumi.ComponentResource("gpu-multi-model-endpoint:test:Parent", "p", {}, { transformations: [rec.transformation] });
        new pulumi.ComponentResource("gpu-multi-model-endpoint:test:Child", "renamed", {}, { parent });
        assert.deepStrictEqual(rec.urns(), [
            "urn:pulumi:test::gpu-multi-model-endpoint::gpu-multi-model-endpoint:test:Parent$gpu-multi-model-endpoint:test:Child::renamed",
            "urn:pulumi:test::gpu-multi-model-endpoint::gpu-multi-model-endpoint:test:Parent::p",
        ]);
    });
});
