import * as assert from "assert";
import { bucketPolicy, encryptionRule } from "../../../sagemaker/artifactBucket";
import { executionRolePolicy, RolePolicyInput, trustPolicy, WILDCARD_RESOURCE_ACTIONS } from "../../../sagemaker/executionRole";
import { PolicyDocument, PolicyStatement } from "../../../sagemaker/policy";

const DLC = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker";
const base: RolePolicyInput = {
    partition: "aws", region: "us-east-1", accountId: "123456789012", bucket: "artifacts-bucket", prefix: "models",
    imageUri: DLC, endpointName: "gpu-multi-model-endpoint-dev",
};
const resources = (s: PolicyStatement) => (s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const bySid = (doc: PolicyDocument, sid: string) => {
    const s = doc.Statement.find((x) => x.Sid === sid);
    assert.ok(s, `no statement ${sid}`);
    return s!;
};

describe("execution role policy documents", () => {
    it("trusts only the SageMaker service, acting for resources of the stack's own account (confused-deputy guard)", () => {
        assert.deepStrictEqual(trustPolicy("123456789012"), { Version: "2012-10-17", Statement: [{
            Sid: "SageMakerAssumeRole", Effect: "Allow", Principal: { Service: "sagemaker.amazonaws.com" }, Action: ["sts:AssumeRole"],
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }] });
    });

    it("allows no wildcard action and only Allow statements", () => {
        const doc = executionRolePolicy({ ...base, kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
            vpc: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] } });
        for (const s of doc.Statement) {
            assert.strictEqual(s.Effect, "Allow");
            for (const a of s.Action) assert.ok(!a.includes("*") && /^[a-z0-9]+:[A-Za-z]+$/.test(a), `wildcard/odd action ${a}`);
        }
    });

    it("uses Resource \"*\" only for ecr:GetAuthorizationToken and the namespace-conditioned PutMetricData (AWS offers no resource scoping for them)", () => {
        const doc = executionRolePolicy(base);
        const star = doc.Statement.filter((s) => resources(s).includes("*"));
        assert.deepStrictEqual(star.map((s) => s.Action), [["ecr:GetAuthorizationToken"], ["cloudwatch:PutMetricData"]]);
        assert.deepStrictEqual(bySid(doc, "PublishEndpointMetrics").Condition,
            { StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" } });
        for (const s of star) for (const a of s.Action) assert.ok(WILDCARD_RESOURCE_ACTIONS.includes(a));
    });

    it("scopes reading to the artifact prefix of the bucket", () => {
        const doc = executionRolePolicy(base);
        assert.deepStrictEqual(bySid(doc, "ReadModelArtifacts"), {
            Sid: "ReadModelArtifacts", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::artifacts-bucket/models/*",
        });
        assert.deepStrictEqual(bySid(doc, "ListModelArtifacts"), {
            Sid: "ListModelArtifacts", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::artifacts-bucket",
            Condition: { StringLike: { "s3:prefix": ["models/*"] } },
        });
        const s3 = doc.Statement.filter((s) => s.Action.some((a) => a.startsWith("s3:")));
        assert.strictEqual(s3.length, 2);
    });

    it("grants kms:Decrypt on the configured key only when a key is set", () => {
        assert.ok(!executionRolePolicy(base).Statement.some((s) => s.Action.includes("kms:Decrypt")));
        const key = "arn:aws:kms:us-east-1:123456789012:key/abcd";
        assert.deepStrictEqual(bySid(executionRolePolicy({ ...base, kmsKeyArn: key }), "DecryptModelArtifacts").Resource, key);
    });

    it("pulls only from the image's ECR repository, and not at all for a non-ECR image", () => {
        assert.deepStrictEqual(bySid(executionRolePolicy(base), "PullImage").Resource,
            "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference");
        const doc = executionRolePolicy({ ...base, imageUri: "registry.example.com/server:1" });
        assert.ok(!doc.Statement.some((s) => s.Action.some((a) => a.startsWith("ecr:"))));
    });

    it("writes logs only to this endpoint's log group under /aws/sagemaker/Endpoints", () => {
        const lg = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/gpu-multi-model-endpoint-dev";
        assert.deepStrictEqual(bySid(executionRolePolicy(base), "WriteEndpointLogs").Resource, [lg, `${lg}:log-stream:*`]);
    });

    it("may DescribeAlarms on exactly the stack's own rollback alarms, and has no CloudWatch read without auto-rollback", () => {
        assert.ok(!executionRolePolicy(base).Statement.some((s) => s.Action.includes("cloudwatch:DescribeAlarms")));
        const doc = executionRolePolicy({ ...base, rollbackAlarmNames: ["ep-invocation-5xx-errors", "ep-model-latency-p99"] });
        assert.deepStrictEqual(bySid(doc, "DescribeRollbackAlarms"), {
            Sid: "DescribeRollbackAlarms", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"],
            Resource: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:ep-invocation-5xx-errors", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ep-model-latency-p99"],
        });
        assert.strictEqual(doc.Statement.filter((s) => s.Action.includes("cloudwatch:DescribeAlarms")).length, 1);
    });

    it("uses the aws-cn partition in China regions", () => {
        const doc = executionRolePolicy({ ...base, partition: "aws-cn", region: "cn-north-1",
            imageUri: "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker" });
        for (const s of doc.Statement) for (const r of resources(s)) assert.ok(r === "*" || r.startsWith("arn:aws-cn:"), r);
    });

    it("adds VPC permissions scoped to the configured subnets and security groups only with a VPC config", () => {
        assert.ok(!executionRolePolicy(base).Statement.some((s) => s.Action.some((a) => a.startsWith("ec2:"))));
        const doc = executionRolePolicy({ ...base, vpc: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] } });
        assert.deepStrictEqual(bySid(doc, "ManageModelEnis").Resource, [
            "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
            "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0123456789abcdef0",
            "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0",
        ]);
        assert.strictEqual(bySid(doc, "DescribeVpc").Resource, "*");
    });
});

describe("artifact bucket policy documents", () => {
    it("only denies, for the bucket and its objects, requests without TLS or below TLS 1.2", () => {
        const doc = bucketPolicy("aws", "b1");
        assert.ok(doc.Statement.every((s) => s.Effect === "Deny" && s.Principal === "*"));
        assert.deepStrictEqual(doc.Statement.map((s) => s.Condition), [
            { Bool: { "aws:SecureTransport": "false" } },
            { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        ]);
        for (const s of doc.Statement) assert.deepStrictEqual(s.Resource, ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*"]);
    });

    it("encrypts with SSE-KMS and a bucket key when a key is set, otherwise SSE-S3", () => {
        assert.deepStrictEqual(encryptionRule(), { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } });
        assert.deepStrictEqual(encryptionRule("arn:k"), {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:k" }, bucketKeyEnabled: true,
        });
    });
});
