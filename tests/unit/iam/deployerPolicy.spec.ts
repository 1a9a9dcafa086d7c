/**
 * deploy/deployer-policy.json (what the identity running `pulumi up` needs) against what the program
 * declares: the dev and prod stacks and variants (uncompressed model data, KMS keys, the components topology) are built under
 * Pulumi mocks; every declared resource type and data-source call must have an entry in
 * deploy/deployer-actions.json, and the policy must grant exactly the union of the needed actions.
 */
import { allResources, recordedCalls, resetRecorded } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { childNames } from "../../../config/names";
import type { Settings } from "../../../config/settings";
import { captureWarnings } from "../../support/captureWarnings";
import { deploy } from "../../support/deploy";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";

const REPO = path.resolve(__dirname, "..", "..", "..");
interface Entry { actions: string[]; why: string }
interface ActionTable { resourceTypes: Record<string, Entry>; calls: Record<string, Entry>; whenSet: Record<string, Entry>; sdkCommands: Record<string, Entry> }
interface Statement { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown; NotAction?: unknown; NotResource?: unknown }
const table: ActionTable = JSON.parse(fs.readFileSync(path.join(REPO, "deploy", "deployer-actions.json"), "utf8"));
const policy: { Version: string; Statement: Statement[] } = JSON.parse(fs.readFileSync(path.join(REPO, "deploy", "deployer-policy.json"), "utf8"));
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const granted = new Set(policy.Statement.flatMap((s) => list(s.Action)));
/** The resources of the statements that grant `action`. */
const resourcesGranting = (action: string) => policy.Statement.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
/** IAM's ARN glob: `*` matches any run of characters. */
const globMatch = (pattern: string, arn: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`).test(arn);
const KMS = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** Every AWS SDK command the program sends itself (`new XxxCommand(` in index.ts, config/, packaging/ and sagemaker/), found in the source. */
function programSdkCommands(): string[] {
    const files = ["index.ts", ...["config", "packaging", "sagemaker"].flatMap((d) =>
        fs.readdirSync(path.join(REPO, d), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => `${d}/${f}`))];
    const found = files.flatMap((f) => [...fs.readFileSync(path.join(REPO, f), "utf8").matchAll(/new\s+(?:\w+\.)?(\w+Command)\(/g)].map((m) => m[1]));
    return [...new Set(found)].sort();
}

const VARIANTS: [string, () => Settings][] = [
    ["dev", () => stackSettings("dev", "model")],
    ["prod", () => stackSettings("prod", "model")],
    ["dev with modelDataMode uncompressed", () => stackSettings("dev", "model", { modelDataMode: "uncompressed" })],
    ["prod with kmsKeyArn and dataCaptureKmsKeyArn", () => stackSettings("prod", "model", { kmsKeyArn: KMS, dataCaptureKmsKeyArn: KMS })],
    ["dev with topology components scaling a model to zero", () => stackSettings("dev", "model", { topology: "components",
        componentsMinInstanceCount: "0", componentCopies: JSON.stringify({ m1: { min: 0 } }) })],
    ["prod with topology components", () => stackSettings("prod", "model", { topology: "components", autoscaling: "false",
        componentsMaxInstanceCount: "4", componentMaxCopies: "4" })],
];

describe("the deployer policy (deploy/deployer-policy.json)", function () {
    this.timeout(60000);
    const seen = { types: new Set<string>(), calls: new Set<string>(), whenSet: new Set<string>() };
    const needed = new Set<string>();

    for (const [label, settings] of VARIANTS) {
        it(`grants every action the ${label} stack's resources and calls need`, async () => {
            resetRecorded();
            const s = settings();
            await captureWarnings(() => deploy(s, makeModelDir().base, "gpu-endpoint"), { info: true });
            const types = [...new Set(allResources().filter((r) => r.custom).map((r) => r.type))];
            const calls = [...new Set(recordedCalls())];
            const keys = [...types.map((t) => ["resource type", t, table.resourceTypes[t]] as const), ...calls.map((c) => ["call", c, table.calls[c]] as const)];
            const unmapped = keys.filter(([, , e]) => e === undefined).map(([k, t]) => `${k} ${t}`);
            assert.deepStrictEqual(unmapped, [], "add these to deploy/deployer-actions.json");
            const set = (["kmsKeyArn", "dataCaptureKmsKeyArn"] as const).filter((k) => (k === "kmsKeyArn" ? s.kmsKeyArn : s.production.dataCapture?.kmsKeyArn));
            for (const k of set) assert.ok(table.whenSet[k], `whenSet.${k} missing`);
            const actions = [...keys.flatMap(([, , e]) => e!.actions), ...set.flatMap((k) => table.whenSet[k].actions)];
            assert.deepStrictEqual(actions.filter((a) => !granted.has(a)), [], "actions missing from deploy/deployer-policy.json");
            // Pulumi auto-names a resource "<logical name>-<random suffix>": every declared Model and configuration fits a policy resource.
            const created = allResources().filter((r) => r.type === "aws:sagemaker/model:Model" || r.type === "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
                .map((r) => r.type.endsWith(":Model") ? { action: "sagemaker:CreateModel", arn: `arn:aws:sagemaker:us-west-2:111122223333:model/${r.name}-a1b2c3d` }
                    : { action: "sagemaker:CreateEndpointConfig", arn: `arn:aws:sagemaker:us-west-2:111122223333:endpoint-config/${r.name}-a1b2c3d` });
            assert.deepStrictEqual(created.filter((c) => !resourcesGranting(c.action).some((g) => globMatch(g, c.arn))).map((c) => c.arn), [],
                "not covered by the resources of the statements granting their creation");
            types.forEach((t) => seen.types.add(t)); calls.forEach((c) => seen.calls.add(c)); set.forEach((k) => seen.whenSet.add(k));
            actions.forEach((a) => needed.add(a));
        });
    }

    it("grants every action the AWS SDK commands the program sends itself need (found in its source)", () => {
        const commands = programSdkCommands();
        assert.ok(commands.length > 0);
        assert.deepStrictEqual(commands.filter((c) => !table.sdkCommands[c]), [], "add these to sdkCommands in deploy/deployer-actions.json");
        assert.deepStrictEqual(Object.keys(table.sdkCommands).filter((c) => !commands.includes(c)), [], "stale sdkCommands");
        const actions = commands.flatMap((c) => table.sdkCommands[c].actions);
        assert.deepStrictEqual(actions.filter((a) => !granted.has(a)), [], "actions missing from deploy/deployer-policy.json");
        actions.forEach((a) => needed.add(a));
    });

    it("grants nothing beyond those actions, and every table entry is used by one of the stacks", () => {
        assert.strictEqual(needed.size > 0, true, "run the stack cases first");
        assert.deepStrictEqual([...granted].filter((a) => !needed.has(a)).sort(), []);
        assert.deepStrictEqual(Object.keys(table.resourceTypes).filter((t) => !seen.types.has(t)), [], "stale resource types");
        assert.deepStrictEqual(Object.keys(table.calls).filter((c) => !seen.calls.has(c)), [], "stale calls");
        assert.deepStrictEqual(Object.keys(table.whenSet).filter((k) => !seen.whenSet.has(k)), [], "stale whenSet keys");
    });

    it("has no wildcard or Not* elements, and Resource \"*\" only for actions without resource-level permissions", () => {
        for (const s of policy.Statement) {
            assert.strictEqual(s.Effect, "Allow", s.Sid);
            assert.ok(!s.NotAction && !s.NotResource, s.Sid);
            for (const a of list(s.Action)) assert.match(a, /^[a-z0-9-]+:[A-Za-z]+$/, `${s.Sid}: ${a}`);
            if (list(s.Resource).includes("*")) {
                for (const a of list(s.Action)) assert.ok(a === "cloudwatch:DescribeAlarms" || a.startsWith("application-autoscaling:") || /^cloudformation:\w*Resource\w*$/.test(a), `${s.Sid}: ${a} on "*"`);
            }
        }
        const passRole = policy.Statement.filter((s) => list(s.Action).includes("iam:PassRole"));
        assert.deepStrictEqual(passRole.map((s) => s.Condition), [{ StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } }]);
    });

    it("scopes buckets, the role, models and configurations to the names index.ts's component gives them", () => {
        const name = /new GpuModelEndpoint\("([^"]+)"/.exec(fs.readFileSync(path.join(REPO, "index.ts"), "utf8"))?.[1];
        assert.ok(name, "index.ts declares the component");
        const n = childNames(name);
        const resources = policy.Statement.flatMap((s) => list(s.Resource));
        // Pulumi auto-names a resource "<logical name>-<random suffix>".
        for (const r of [`arn:aws:s3:::${n.bucket}-*`, `arn:aws:s3:::${n.bucket}-*/*`, `arn:aws:iam::*:role/${n.role}-*`,
            `arn:aws:sagemaker:*:*:model/${n.model}-*`, `arn:aws:sagemaker:*:*:endpoint-config/${n.endpointConfig}-*`]) {
            assert.ok(resources.includes(r), `${r} not in the policy`);
        }
    });
});
