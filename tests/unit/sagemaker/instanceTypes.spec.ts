import * as assert from "assert";
import { ProductionVariantInstanceType } from "@aws-sdk/client-sagemaker";
import { checkGpuInstanceType, closest, GPU_FAMILIES, gpuInstanceInfo, gpuInstanceTypes } from "../../../sagemaker/instanceTypes";

const KEY = "gpu-multi-model-endpoint:instanceType";
const GIB = 1024 ** 3;

describe("instanceTypes: the GPU table and instance type checks", () => {
    it("gives GPU count and memory per GPU of the facts file for representative sizes", () => {
        const expect: Array<[string, number, number]> = [
            ["ml.g4dn.xlarge", 1, 16 * GIB], ["ml.g4dn.12xlarge", 4, 16 * GIB],
            ["ml.g5.xlarge", 1, 24 * GIB], ["ml.g5.48xlarge", 8, 24 * GIB],
            ["ml.g6.24xlarge", 4, 24e9], ["ml.g6e.xlarge", 1, 48e9],
            ["ml.p3.2xlarge", 1, 16 * GIB], ["ml.p3.16xlarge", 8, 16 * GIB],
            ["ml.p4d.24xlarge", 8, 40e9], ["ml.p5.48xlarge", 8, 80e9],
        ];
        for (const [type, count, mem] of expect) {
            const info = gpuInstanceInfo(type)!;
            assert.strictEqual(info.gpuCount, count, type);
            assert.strictEqual(info.memoryPerGpuBytes, mem, type);
            assert.strictEqual(info.totalGpuMemoryBytes, count * mem, type);
        }
    });

    it("marks every family but p3 as having local NVMe instance storage", () => {
        assert.deepStrictEqual(GPU_FAMILIES.filter((f) => !f.instanceStorage).map((f) => f.family), ["p3"]);
    });

    it("lists only GPU types that the AWS SDK's ProductionVariantInstanceType also lists", () => {
        const sdk = new Set<string>(Object.values(ProductionVariantInstanceType));
        const listed = gpuInstanceTypes();
        assert.ok(listed.length >= 30, `only ${listed.length} GPU types`);
        for (const i of listed) assert.ok(sdk.has(i.instanceType), i.instanceType);
        for (const t of sdk) {
            if (/^ml\.(g4dn|g5|g6|g6e|p3|p4d|p5)\./.test(t)) assert.ok(gpuInstanceInfo(t), `SDK type ${t} missing from the table`);
        }
    });

    it("returns undefined for CPU types and malformed names", () => {
        assert.strictEqual(gpuInstanceInfo("ml.m5.xlarge"), undefined);
        assert.strictEqual(gpuInstanceInfo("g5.xlarge"), undefined);
        assert.strictEqual(gpuInstanceInfo("ml.g5.3xlarge"), undefined);
    });

    it("accepts ml.g4dn.xlarge and ml.g5.xlarge", () => {
        assert.strictEqual(checkGpuInstanceType("ml.g4dn.xlarge", KEY), undefined);
        assert.strictEqual(checkGpuInstanceType("ml.g5.xlarge", KEY), undefined);
    });

    it("rejects ml.m5.xlarge as having no GPU, naming the key", () => {
        assert.strictEqual(checkGpuInstanceType("ml.m5.xlarge", KEY),
            `${KEY}: "ml.m5.xlarge" has no GPU in this program's GPU table; set it to a GPU instance type of the families ` +
            "ml.g4dn.*, ml.g5.*, ml.g6.*, ml.g6e.*, ml.p3.*, ml.p4d.*, ml.p5.* (for example ml.g4dn.xlarge or ml.g5.xlarge).");
    });

    it("rejects a typo with a did-you-mean suggestion", () => {
        const msg = checkGpuInstanceType("ml.g4dn.xlarg", KEY)!;
        assert.match(msg, /^gpu-multi-model-endpoint:instanceType: "ml\.g4dn\.xlarg" is not an instance type SageMaker accepts for an endpoint; did you mean "ml\.g4dn\.xlarge"\?/);
        assert.match(checkGpuInstanceType("ml.g5xlarge", KEY)!, /did you mean "ml\.g5\.xlarge"\?/);
    });

    it("gives no suggestion for something far from every type", () => {
        const msg = checkGpuInstanceType("a-very-wrong-value", KEY)!;
        assert.ok(!msg.includes("did you mean"), msg);
        assert.match(msg, /is not an instance type SageMaker accepts/);
    });

    it("finds the closest candidate within the distance and nothing beyond it", () => {
        assert.strictEqual(closest("instancetype", ["instanceType", "image"]), "instanceType");
        assert.strictEqual(closest("zzzzzzzz", ["instanceType"]), undefined);
    });
});
