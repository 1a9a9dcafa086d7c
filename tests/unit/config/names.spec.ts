import * as assert from "assert";
import {
    artifactKey, bucketNameProblem, childNames, defaultEndpointName, keyPrefixProblem, s3Url, sageMakerNameProblem, toSageMakerName,
} from "../../../config/names";

describe("names: SageMaker names, S3 names and keys", () => {
    it("accepts SageMaker names of letters, digits and inner hyphens up to 63 characters", () => {
        for (const ok of ["a", "AllTraffic", "gpu-multi-model-endpoint-dev", "a--b", "x".repeat(63)]) {
            assert.strictEqual(sageMakerNameProblem(ok), undefined, ok);
        }
    });

    it("explains why a SageMaker name is rejected", () => {
        assert.strictEqual(sageMakerNameProblem(""), "is empty");
        assert.strictEqual(sageMakerNameProblem("x".repeat(64)), "is 64 characters long (at most 63)");
        for (const bad of ["-a", "a-", "a_b", "a.b", "a b"]) {
            assert.strictEqual(sageMakerNameProblem(bad),
                "may contain only letters, digits and hyphens, and must start and end with a letter or digit", bad);
        }
    });

    it("derives <project>-<stack> and a valid suggestion from an invalid name", () => {
        assert.strictEqual(defaultEndpointName("gpu-multi-model-endpoint", "dev"), "gpu-multi-model-endpoint-dev");
        assert.strictEqual(toSageMakerName("gpu-multi-model-endpoint-my_stack."), "gpu-multi-model-endpoint-my-stack");
        assert.strictEqual(toSageMakerName("___"), undefined);
        assert.ok(toSageMakerName("a".repeat(80))!.length <= 63);
    });

    it("checks S3 bucket names", () => {
        assert.strictEqual(bucketNameProblem("my-artifacts.bucket"), undefined);
        assert.strictEqual(bucketNameProblem("ab"), "is 2 characters long (3 to 63)");
        assert.match(bucketNameProblem("My_Bucket")!, /lowercase letters/);
        assert.strictEqual(bucketNameProblem("a..b"), "must not contain two adjacent dots");
        assert.strictEqual(bucketNameProblem("192.168.1.1"), "must not look like an IP address");
    });

    it("checks S3 key prefixes", () => {
        assert.strictEqual(keyPrefixProblem("models"), undefined);
        assert.strictEqual(keyPrefixProblem("team/models"), undefined);
        assert.strictEqual(keyPrefixProblem(""), "is empty");
        assert.strictEqual(keyPrefixProblem("/models"), "must not start or end with \"/\"");
        assert.strictEqual(keyPrefixProblem("models/"), "must not start or end with \"/\"");
        assert.strictEqual(keyPrefixProblem("a//b"), "must not contain \"//\"");
        assert.strictEqual(keyPrefixProblem("a b"), "may contain only letters, digits, \"/\" and !_.'()- characters");
        assert.strictEqual(keyPrefixProblem("a/../b"), "must not contain \".\" or \"..\" segments");
    });

    it("builds the content-addressed key from the first 16 hex digits of the sha256", () => {
        const sha = "0123456789abcdef" + "f".repeat(48);
        assert.strictEqual(artifactKey("models", sha), "models/0123456789abcdef/model.tar.gz");
        assert.strictEqual(s3Url("b", artifactKey("p/q", sha)), "s3://b/p/q/0123456789abcdef/model.tar.gz");
        assert.throws(() => artifactKey("models", "abc"), /is not a sha256 hex digest/);
    });

    it("names children after the component", () => {
        const n = childNames("ep");
        assert.strictEqual(n.model, "ep-model");
        assert.strictEqual(n.endpoint, "ep-endpoint");
        assert.strictEqual(new Set(Object.values(n)).size, Object.values(n).length);
    });
});
