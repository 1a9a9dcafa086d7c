import { allResources, oneOfType, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkMemoryBudget, formatBytes, MemoryBudgetArgs } from "../../../sagemaker/checks/memoryBudget";
import { checkModelDirForDeploy } from "../../../sagemaker/checks/deployChecks";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { gpuInstanceInfo } from "../../../sagemaker/instanceTypes";
import type { ModelCacheSettings } from "../../../config/modelCacheConfig";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { deploy, T } from "../../support/deploy";
import { captureWarnings } from "../../support/captureWarnings";

const P = "gpu-multi-model-endpoint";
const GIB = 1024 ** 3;
const MANIFEST = "model-src/models.json";
type Model = MemoryBudgetArgs["models"][number];
const bert = (name: string, gib: number, pinned = false): Model => ({ name, framework: "pytorch", memoryBytes: gib * GIB, pinned });
/** Four BERT-size models, 14 GiB together, one pinned: the original article's case. */
const FOUR_BERTS = [bert("bert-a", 2, true), bert("bert-b", 4), bert("bert-c", 4), bert("bert-d", 4)];

function check(instanceType: string, workers: number, models: Model[], modelCache: ModelCacheSettings = {}) {
    return checkMemoryBudget({ project: P, models, manifestPath: MANIFEST, gpu: gpuInstanceInfo(instanceType)!, modelServerWorkers: workers, modelCache });
}

describe("GPU memory budget at preview: pure check", () => {
    it("formats sizes in GiB from 1 GiB up, else MiB", () => {
        assert.deepStrictEqual([formatBytes(1.5 * GIB), formatBytes(32833536)], ["1.50 GiB", "31.3 MiB"]);
    });

    it("warns on ml.g4dn.xlarge that four 14 GiB models will be swapped, naming what they need and the types that hold them all", () => {
        const r = check("ml.g4dn.xlarge", 1, FOUR_BERTS);
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual(r.warnings, [
            `${P}:instanceType: the 4 models of ${MANIFEST} need 14.00 GiB together (14.00 GiB of them on the GPU) but each worker's model ` +
            `cache holds 7.20 GiB (the default 0.5 / 1 worker(s) sharing a GPU of the 14.40 GiB usable on one NVIDIA T4 of ml.g4dn.xlarge), so models are ` +
            `loaded on first use and the least recently used evicted: a request for an evicted model waits for its load. To hold them all ` +
            `with 1 worker(s), use ml.g6.xlarge (1 x NVIDIA L4 22.35 GiB), ml.g5.xlarge (1 x NVIDIA A10G 24.00 GiB), ` +
            `ml.g6e.xlarge (1 x NVIDIA L40S 44.70 GiB), ml.p5.4xlarge (1 x NVIDIA H100 74.51 GiB), with ${P}:modelCacheBytes of at least ${14 * GIB}.`,
        ]);
        // Per GPU: 16 GiB less 10 % headroom; the default budget is half of it for one worker.
        assert.deepStrictEqual([r.estimate.usablePerGpuBytes, r.estimate.budgetPerWorkerBytes], [Math.floor(16 * GIB * 0.9), Math.floor(Math.floor(16 * GIB * 0.9) / 2)]);
    });

    it("on ml.g5.xlarge, leaves ml.g5 out of the types to switch to and says to keep it with a larger modelCacheBytes", () => {
        for (const t of ["ml.g5.xlarge", "ml.g5.2xlarge"]) {
            const w = check(t, 1, FOUR_BERTS).warnings;
            assert.strictEqual(w.length, 1, w.join("\n"));
            assert.ok(w[0].endsWith(`To hold them all with 1 worker(s), use ml.g6.xlarge (1 x NVIDIA L4 22.35 GiB), ` +
                `ml.g6e.xlarge (1 x NVIDIA L40S 44.70 GiB), ml.p5.4xlarge (1 x NVIDIA H100 74.51 GiB), with ${P}:modelCacheBytes of at least ${14 * GIB}, ` +
                `or keep ${t} and set ${P}:modelCacheBytes to at least ${14 * GIB}.`), w[0]);
            assert.doesNotMatch(w[0], /ml\.g5\.xlarge \(/);
        }
    });

    it("still warns on ml.g5.xlarge (10.8 GiB default budget) and is silent on ml.g6e.xlarge (20.1 GiB)", () => {
        assert.match(check("ml.g5.xlarge", 1, FOUR_BERTS).warnings.join("\n"), /need 14\.00 GiB together .* holds 10\.80 GiB \(the default 0\.5 \/ 1 worker\(s\) sharing a GPU of the 21\.60 GiB usable on one NVIDIA A10G/);
        assert.deepStrictEqual(check("ml.g6e.xlarge", 1, FOUR_BERTS), {
            errors: [], warnings: [],
            estimate: { workersPerGpu: 1, usablePerGpuBytes: 43.2e9, budgetPerWorkerBytes: 21.6e9, pinnedBytes: 2 * GIB, pinnedGpuBytes: 2 * GIB, allBytes: 14 * GIB, allGpuBytes: 14 * GIB },
        });
    });

    it("is an error when the pinned models, once per worker, do not fit one GPU, and reports the cache budget error too", () => {
        // 4 x (4 GiB + 1 GiB context) = 20 GiB > 14.4 GiB; 1-GPU types qualify from 20 GiB usable (L4: 21.6 GB = 20.12 GiB).
        const r = check("ml.g4dn.xlarge", 4, [bert("bert-a", 4, true)]);
        assert.deepStrictEqual(r.errors, [
            `${P}:instanceType: the pinned GPU models of ${MANIFEST} (bert-a 4.00 GiB) need 20.00 GiB on each GPU of ml.g4dn.xlarge ` +
            `(1 x NVIDIA T4 16.00 GiB): 4 worker(s) per GPU (4 worker(s) over 1 GPU(s)), each loading them at start plus 1.00 GiB of CUDA ` +
            `context, but one GPU has 14.40 GiB after 10% headroom, so the workers run out of GPU memory at start. Fix: set ` +
            `${P}:modelServerWorkers to 2 or fewer, unpin models in ${MANIFEST} ("pinned": false loads them on first use), or use an ` +
            `instance type whose GPUs hold them: ml.g4dn.12xlarge (4 x NVIDIA T4 16.00 GiB), ml.p3.8xlarge (4 x NVIDIA V100 16.00 GiB), ` +
            `ml.g6.xlarge (1 x NVIDIA L4 22.35 GiB), ml.g6.12xlarge (4 x NVIDIA L4 22.35 GiB), ml.g5.xlarge (1 x NVIDIA A10G 24.00 GiB), ` +
            `ml.g5.12xlarge (4 x NVIDIA A10G 24.00 GiB) and 3 more.`,
            `${P}:modelCacheFraction: the pinned models of ${MANIFEST} (bert-a 4.00 GiB) need 4.00 GiB in each worker's model cache, but its ` +
            `budget is 1.80 GiB (the default 0.5 / 4 worker(s) sharing a GPU of the 14.40 GiB usable on one NVIDIA T4 of ml.g4dn.xlarge), so model_fn ` +
            `refuses to start and the endpoint never becomes healthy. Fix: set ${P}:modelCacheBytes to at least ${4 * GIB} (or raise ` +
            `${P}:modelCacheFraction), or unpin models in ${MANIFEST}.`,
        ]);
    });

    it("spreads workers over the GPUs of a multi-GPU type: 4 workers on ml.g4dn.12xlarge is one per GPU", () => {
        const r = check("ml.g4dn.12xlarge", 4, [bert("bert-a", 4, true)], { fraction: 0.5 });
        assert.deepStrictEqual([r.errors, r.warnings, r.estimate.workersPerGpu], [[], [], 1]);
        // The default budget divides by the workers sharing ONE GPU (inference.py), here 1: half of the T4's 14.4 usable GiB.
        const d = check("ml.g4dn.12xlarge", 4, [bert("bert-a", 4, true)]);
        assert.deepStrictEqual([d.errors, d.warnings, d.estimate.budgetPerWorkerBytes], [[], [], Math.floor(0.5 * Math.floor(16 * GIB * 0.9))]);
    });

    for (const [type, workers, sharing] of [["ml.g4dn.12xlarge", 5, 2], ["ml.g4dn.12xlarge", 8, 2], ["ml.g4dn.12xlarge", 9, 3], ["ml.g5.48xlarge", 8, 1], ["ml.g4dn.xlarge", 3, 3]] as const) {
        it(`divides the default budget on ${type} with ${workers} workers by the ${sharing} sharing a GPU, as inference.py does`, () => {
            const g = gpuInstanceInfo(type)!;
            const usable = Math.floor(g.memoryPerGpuBytes * 0.9);
            const r = check(type, workers, [bert("bert-a", 1, true)]);
            assert.deepStrictEqual([r.estimate.workersPerGpu, r.estimate.budgetPerWorkerBytes], [sharing, Math.floor(0.5 / sharing * usable)]);
            // A fraction or bytes is per worker and never divided.
            assert.strictEqual(check(type, workers, [bert("bert-a", 1, true)], { fraction: 0.3 }).estimate.budgetPerWorkerBytes, Math.floor(0.3 * usable));
            assert.strictEqual(check(type, workers, [bert("bert-a", 1, true)], { bytes: 12345 }).estimate.budgetPerWorkerBytes, 12345);
        });
    }

    it("names the workers sharing a GPU in the budget error on a multi-GPU type", () => {
        // 8 workers on 4 T4s: 2 per GPU, so each worker's default budget is 0.5 / 2 of 14.4 GiB = 3.6 GiB < 4 GiB pinned.
        assert.match(check("ml.g4dn.12xlarge", 8, [bert("bert-a", 4, true)]).errors.join("\n"),
            /gpu-multi-model-endpoint:modelCacheFraction: the pinned models .* budget is 3\.60 GiB \(the default 0\.5 \/ 2 worker\(s\) sharing a GPU of the 14\.40 GiB usable on one NVIDIA T4 of ml\.g4dn\.12xlarge\)/);
    });

    it("warns when a multi-GPU type has fewer workers than GPUs", () => {
        assert.deepStrictEqual(check("ml.g5.12xlarge", 1, [bert("bert-a", 1, true)]).warnings, [
            `${P}:modelServerWorkers: ml.g5.12xlarge has 4 GPUs but 1 worker(s); TorchServe gives GPUs to workers round-robin, so 3 GPU(s) stay idle. ` +
            `Set ${P}:modelServerWorkers to 4 (one per GPU), or use a single-GPU instance type.`,
        ]);
    });

    it("warns when modelCacheBytes lets the cache outgrow the GPU before it evicts", () => {
        const limit = Math.floor(16 * GIB * 0.9) - GIB;
        assert.deepStrictEqual(check("ml.g4dn.xlarge", 1, FOUR_BERTS, { bytes: 20 * GIB }).warnings, [
            `${P}:modelCacheBytes: each worker's cache may hold 14.00 GiB of GPU models; with 1 worker(s) per GPU (1 worker(s) over 1 GPU(s)) ` +
            `and 1.00 GiB of CUDA context each, that is 15.00 GiB on a GPU with 14.40 GiB usable, so a load can fail with CUDA out of memory ` +
            `before the cache evicts. Set ${P}:modelCacheBytes to at most ${limit}, or lower ${P}:modelServerWorkers.`,
        ]);
    });

    it("counts sklearn models against the cache but not the GPU, and skips the budget when it derives from host RAM", () => {
        const sk: Model[] = [{ name: "sentiment", framework: "sklearn", memoryBytes: 3 * GIB, pinned: true }, { name: "tfidf", framework: "sklearn", memoryBytes: 2 * GIB }];
        assert.deepStrictEqual(check("ml.g4dn.xlarge", 8, sk), { errors: [], warnings: [], estimate: {
            workersPerGpu: 8, usablePerGpuBytes: Math.floor(16 * GIB * 0.9), budgetPerWorkerBytes: undefined,
            pinnedBytes: 3 * GIB, pinnedGpuBytes: 0, allBytes: 5 * GIB, allGpuBytes: 0 } });
        const r = check("ml.g4dn.xlarge", 1, sk, { bytes: 4 * GIB });
        assert.deepStrictEqual(r.errors, []);
        assert.match(r.warnings[0], /need 5\.00 GiB together \(0\.0 MiB of them on the GPU\) but each worker's model cache holds 4\.00 GiB \(set by gpu-multi-model-endpoint:modelCacheBytes\), .* They sit in host RAM, not on the GPU: to hold them all, set gpu-multi-model-endpoint:modelCacheBytes to at least 5368709120\.$/);
    });
});

/** A model dir whose models.json lists `models` (each pointing at the fixture's small file). */
function modelDirWith(models: Model[]) {
    const f = makeModelDir({ frameworks: ["pytorch"] });
    const entries = models.map((m) => ({ ...m, path: "tiny/model.bin", task: "text-classification", labels: ["a", "b"] }));
    fs.writeFileSync(path.join(f.dir, "models.json"), JSON.stringify({ models: entries }));
    return f;
}

describe("GPU memory budget in the deploy checks (Pulumi mocks)", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("warns for ml.g4dn.xlarge and ml.g5.xlarge and not for ml.g6e.xlarge, naming the manifest in the model directory", () => {
        const { base, dir } = modelDirWith(FOUR_BERTS);
        const swaps = (instanceType: string) => checkModelDirForDeploy(stackSettings("dev", "model", { instanceType }), base)
            .warnings.filter((w) => w.includes("loaded on first use"));
        for (const t of ["ml.g4dn.xlarge", "ml.g5.xlarge"]) {
            assert.strictEqual(swaps(t).length, 1, t);
            assert.ok(swaps(t)[0].startsWith(`${P}:instanceType: the 4 models of ${path.join(dir, "models.json")} need 14.00 GiB together`), t);
        }
        assert.deepStrictEqual(swaps("ml.g6e.xlarge"), []);
    });

    it("stops before registering any resource when the pinned models do not fit, listing every problem", async () => {
        const { base } = modelDirWith([bert("bert-a", 10, true), bert("bert-b", 10, true)]);
        assert.throws(() => new GpuModelEndpoint("ep", { settings: stackSettings("dev", "model", { modelServerWorkers: "2" }), baseDir: base, buildDir: path.join(base, "build") }),
            (e: Error) => pulumi.RunError.isInstance(e) && /has 2 problem\(s\):/.test(e.message) &&
                e.message.includes(`${P}:instanceType: the pinned GPU models of`) && e.message.includes("(bert-a 10.00 GiB, bert-b 10.00 GiB) need 42.00 GiB on each GPU") &&
                e.message.includes(`${P}:modelCacheFraction: the pinned models of`));
        await settle();
        assert.deepStrictEqual(allResources(), []);
    });

    it("deploys with the swap warning and passes the cache settings to the container", async () => {
        const { base } = modelDirWith(FOUR_BERTS);
        const settings = stackSettings("prod", "model", { modelCacheFraction: "0.6", modelLoadRetrySeconds: "10" });
        assert.strictEqual(checkModelDirForDeploy(settings, base).warnings.filter((w) => w.includes("loaded on first use")).length, 1);
        const { warnings } = await captureWarnings(() => deploy(settings, base));
        const swaps = warnings.filter((w) => w.includes("loaded on first use"));
        assert.strictEqual(swaps.length, 1, warnings.join("\n"));
        assert.ok(swaps[0].startsWith(`warning: [runtime] ${P}:instanceType: the 4 models of`), swaps[0]);
        const env = oneOfType(T.model).inputs.primaryContainer.environment;
        assert.deepStrictEqual([env.MODEL_CACHE_FRACTION, env.MODEL_LOAD_RETRY_SECONDS, env.MODEL_CACHE_BYTES], ["0.6", "10", undefined]);
    });
});
