/**
 * The one rule set for names that reach IAM or S3 (config/scope.ts), and a property test:
 * for generated artifact and data-capture prefixes, whatever parseSettings accepts gives an
 * execution role whose S3 resources never exceed the stack's own prefixes, and whose writable
 * keys never overlap the readable ones.
 */
import "../../support/pulumiMocks";
import * as assert from "assert";
import fc from "fast-check";
import { parseSettings } from "../../../config/config";
import { assertS3Scope, executionRolePolicy } from "../../../sagemaker/executionRole";
import { arnRegionProblem, prefixesOverlap, s3PrefixProblem } from "../../../config/scope";
import { otherDeclaredKeys, stackFile } from "../../support/endpointFixture";

const P = "gpu-multi-model-endpoint";
const BUCKET = "stack-bucket";

function settingsFor(artifactPrefix: string, captureRaw: string | undefined) {
    const { raw, region } = stackFile("dev");
    const overrides: Record<string, string> = { artifactPrefix };
    if (captureRaw !== undefined) Object.assign(overrides, { dataCapture: "true", dataCaptureS3Prefix: captureRaw });
    return parseSettings({ ...raw, ...overrides }, { project: P, stack: "dev", region, otherKeys: otherDeclaredKeys() });
}

/** Every S3 resource string (and s3:prefix condition value) of a policy. */
function s3Scopes(doc: ReturnType<typeof executionRolePolicy>): { resource: string; write: boolean }[] {
    const out: { resource: string; write: boolean }[] = [];
    for (const st of doc.Statement) {
        const resources = st.Resource === undefined ? [] : Array.isArray(st.Resource) ? st.Resource : [st.Resource];
        const write = st.Action.some((a) => /^s3:(Put|Delete)/.test(a));
        for (const r of resources) if (r.startsWith("arn:aws:s3:::")) out.push({ resource: r, write });
        const listed = st.Condition?.StringLike?.["s3:prefix"];
        for (const p of listed === undefined ? [] : Array.isArray(listed) ? listed : [listed]) {
            out.push({ resource: `arn:aws:s3:::${BUCKET}/${p}`, write: false });
        }
    }
    return out;
}

describe("names and prefixes that reach IAM or S3 follow one rule set", () => {
    it("refuses IAM wildcards, policy variables and malformed segments in a prefix", () => {
        for (const bad of ["*", "models*", "a/*/b", "mod?ls", "models/${aws:username}", "/a", "a/", "a//b", "a/../b", "a b", ""]) {
            assert.notStrictEqual(s3PrefixProblem(bad), undefined, bad);
        }
        for (const good of ["models", "team/models", "a.b/c_d/(e)!'-f"]) assert.strictEqual(s3PrefixProblem(good), undefined, good);
    });

    it("treats equal, parent and child prefixes as overlapping, and siblings sharing a start as apart", () => {
        assert.ok(prefixesOverlap("models", "models"));
        assert.ok(prefixesOverlap("team", "team/models"));
        assert.ok(prefixesOverlap("team/models/x", "team/models"));
        assert.ok(!prefixesOverlap("models", "models-capture"));
        assert.ok(!prefixesOverlap("data-capture", "models"));
    });

    it("names both partitions when an ARN is in another partition, instead of the same region twice", () => {
        const m = arnRegionProblem("aws", "us-gov-west-1", "us-gov-west-1", "aws-us-gov");
        assert.strictEqual(m, "is in partition aws but the stack deploys to us-gov-west-1 (partition aws-us-gov); use an ARN starting arn:aws-us-gov:");
        assert.strictEqual(arnRegionProblem("aws", "eu-west-1", "us-east-1", "aws"), "is in eu-west-1 but the stack deploys to us-east-1; use one in us-east-1");
    });

    it("refuses to build a role policy from a wildcard prefix or a capture prefix over the artifacts, whatever called it", () => {
        assert.throws(() => assertS3Scope({ prefix: "*" }), /IAM wildcard/);
        assert.throws(() => assertS3Scope({ prefix: "models", dataCapture: { samplingPercent: 1, s3Prefix: "models" } }), /overlaps/);
        assert.doesNotThrow(() => assertS3Scope({ prefix: "models", dataCapture: { samplingPercent: 1, s3Prefix: "data-capture" } }));
    });

    it("never gives the role S3 resources beyond the stack's own prefixes, for any accepted pair of prefixes (property)", () => {
        const segment = fc.stringMatching(/^[a-z*?.$\{\}()!'_-]{0,4}$/);
        const prefix = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"));
        let accepted = 0;
        fc.assert(fc.property(prefix, fc.option(fc.oneof(prefix, fc.constantFrom("models", "models/x", "")), { nil: undefined }), (artifactPrefix, capture) => {
            const r = settingsFor(artifactPrefix, capture);
            if (!r?.settings) return; // refused: nothing to deploy
            accepted++;
            const s = r.settings;
            const doc = executionRolePolicy({
                partition: "aws", region: s.region, accountId: "111122223333", bucket: BUCKET, prefix: s.artifactPrefix,
                imageUri: s.imageUri, endpointName: s.endpointName, dataCapture: s.production.dataCapture,
            });
            const own = [s.artifactPrefix, ...(s.production.dataCapture ? [s.production.dataCapture.s3Prefix] : [])];
            for (const p of own) assert.ok(!/[*?$]/.test(p), `accepted a prefix with a wildcard: ${p}`);
            const allowed = new Set([`arn:aws:s3:::${BUCKET}`, ...own.map((p) => `arn:aws:s3:::${BUCKET}/${p}/*`)]);
            const scopes = s3Scopes(doc);
            for (const sc of scopes) assert.ok(allowed.has(sc.resource), `${sc.resource} is outside ${[...allowed].join(", ")}`);
            const reads = scopes.filter((x) => !x.write && x.resource.endsWith("/*")).map((x) => x.resource.slice(0, -2));
            const writes = scopes.filter((x) => x.write).map((x) => x.resource.slice(0, -2));
            for (const w of writes) for (const rd of reads) assert.ok(!prefixesOverlap(w, rd), `the role may write ${w}/* over what it reads, ${rd}/*`);
        }), { numRuns: 400, seed: 14 });
        assert.ok(accepted > 20, `only ${accepted} generated configurations were accepted; the property checked too little`);
    });
});
