import * as assert from "assert";
import { ALWAYS_SET_ENV_KEYS, CONTAINER_TUNING_ENV, containerEnvironment, frameworkWarnings, parseEnvironment, parseRequirements, RESERVED_ENV_KEYS,
    servingTuningEnv, threadsPerWorker } from "../../../sagemaker/containerEnv";
import { modelServerEnv } from "../../../local/server/modelServer";

describe("container environment and the deploy-side framework check", () => {
    it("sets the serving contract, the region, workers and log level, and keeps user entries", () => {
        assert.deepStrictEqual(containerEnvironment({ region: "us-west-2", containerLogLevel: 20, modelServerWorkers: 1, environment: { MY_FLAG: "on" } }), {
            MALLOC_MMAP_THRESHOLD_: "33554432",
            MALLOC_TRIM_THRESHOLD_: "67108864",
            MKL_NUM_THREADS: "1",
            MY_FLAG: "on",
            OMP_NUM_THREADS: "1",
            OPENBLAS_NUM_THREADS: "1",
            SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
            SAGEMAKER_MODEL_SERVER_WORKERS: "1",
            SAGEMAKER_PROGRAM: "inference.py",
            SAGEMAKER_REGION: "us-west-2",
            SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code",
            TF_FORCE_GPU_ALLOW_GROWTH: "true",
        });
    });

    it("reserves exactly the keys the program sets, those of their own config keys only when given", () => {
        const base = { region: "r", containerLogLevel: 10, modelServerWorkers: 2, environment: {} };
        assert.deepStrictEqual(Object.keys(containerEnvironment(base)).sort(), [...ALWAYS_SET_ENV_KEYS, ...Object.keys(CONTAINER_TUNING_ENV)].sort());
        const program = { CA_REPOSITORY_ARN: "arn:aws:codeartifact:us-east-1:111122223333:repository/d/r", MODEL_CACHE_BYTES: "1000",
            MODEL_CACHE_FRACTION: "0.4", MODEL_LOAD_RETRY_SECONDS: "7", MODEL_CACHE_WAIT_SECONDS: "20" };
        const env = containerEnvironment({ ...base, programEnvironment: program });
        assert.deepStrictEqual(Object.keys(env).sort(), [...RESERVED_ENV_KEYS, ...Object.keys(CONTAINER_TUNING_ENV)].sort());
        assert.strictEqual(env.CA_REPOSITORY_ARN, program.CA_REPOSITORY_ARN);
    });

    it("lets the user's environment override each thread and allocator default, which are not reserved", () => {
        const errors: string[] = [];
        const user = parseEnvironment(JSON.stringify({ OMP_NUM_THREADS: "8", MALLOC_TRIM_THRESHOLD_: "0" }), "environment", (n) => n, errors);
        assert.deepStrictEqual(errors, []);
        const env = containerEnvironment({ region: "r", containerLogLevel: 20, modelServerWorkers: 1, environment: user });
        assert.deepStrictEqual([env.OMP_NUM_THREADS, env.MALLOC_TRIM_THRESHOLD_, env.OPENBLAS_NUM_THREADS, env.MALLOC_MMAP_THRESHOLD_], ["8", "0", "1", "33554432"]);
        for (const k of Object.keys(CONTAINER_TUNING_ENV)) assert.ok(!RESERVED_ENV_KEYS.includes(k), k);
    });

    it("gives each worker the cores left after one for the HTTP front, shared by the workers, at least one", () => {
        assert.deepStrictEqual([[2, 1], [4, 1], [8, 2], [8, 3], [1, 1], [2, 4], [48, 4]].map(([c, w]) => threadsPerWorker(c, w)), [1, 3, 3, 2, 1, 1, 11]);
        assert.deepStrictEqual(servingTuningEnv(3), { OMP_NUM_THREADS: "3", OPENBLAS_NUM_THREADS: "3", MKL_NUM_THREADS: "3",
            MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "67108864" });
    });

    it("gives the local model server's workers the same variables, sized by this machine's cores and the worker count", () => {
        const env = modelServerEnv({ workers: 2 }, { PATH: "/bin" }, 8);
        assert.deepStrictEqual([env.OMP_NUM_THREADS, env.OPENBLAS_NUM_THREADS, env.MKL_NUM_THREADS, env.MALLOC_MMAP_THRESHOLD_, env.MALLOC_TRIM_THRESHOLD_],
            ["3", "3", "3", "33554432", "67108864"]);
        assert.strictEqual(modelServerEnv({}, { SAGEMAKER_MODEL_SERVER_WORKERS: "7" }, 8).OMP_NUM_THREADS, "1");
        const own = modelServerEnv({ env: { OPENBLAS_NUM_THREADS: "4" } }, { OMP_NUM_THREADS: "2" }, 8);
        assert.deepStrictEqual([own.OMP_NUM_THREADS, own.OPENBLAS_NUM_THREADS, own.MKL_NUM_THREADS], ["2", "4", "7"]);
        const off = modelServerEnv({}, { LOCAL_SERVE_TUNING: "off" }, 8);
        assert.deepStrictEqual(Object.keys(off).filter((k) => /THREADS|MALLOC/.test(k)), []);
    });

    it("refuses a program entry that is not reserved, so a user could not have set it too", () => {
        assert.throws(() => containerEnvironment({ region: "r", containerLogLevel: 10, modelServerWorkers: 1, environment: {}, programEnvironment: { OTHER: "1" } }),
            /^Error: containerEnvironment: OTHER not in RESERVED_ENV_KEYS \(containerEnv\.ts\); add them there\.$/);
    });

    it("refuses every SAGEMAKER_TS_ variable in environment, naming it and the worker setting it would replace, and keeps the other entries", () => {
        const errors: string[] = [];
        const k = (n: string) => `gpu-multi-model-endpoint:${n}`;
        const env = parseEnvironment(JSON.stringify({ SAGEMAKER_TS_MIN_WORKERS: "2", SAGEMAKER_TS_RESPONSE_TIMEOUT: "120", MY_FLAG: "on" }), k("environment"), k, errors);
        assert.deepStrictEqual(env, { MY_FLAG: "on" });
        assert.deepStrictEqual(errors.map((e) => e.split(" makes ")[0]), [
            'gpu-multi-model-endpoint:environment: "SAGEMAKER_TS_MIN_WORKERS"', 'gpu-multi-model-endpoint:environment: "SAGEMAKER_TS_RESPONSE_TIMEOUT"']);
        assert.match(errors[0], /replace gpu-multi-model-endpoint:modelServerWorkers, which the memory budget divides .* set gpu-multi-model-endpoint:modelServerWorkers/);
    });

    it("parses requirement names, extras, markers and pins; skips comments and options", () => {
        assert.deepStrictEqual(parseRequirements("# c\n\n-r other.txt\nscikit_learn==1.2.1  # pinned\njoblib>=1.2\nPillow[avif]==10.0 ; python_version>'3'\n"), [
            { name: "scikit-learn", pinned: true, line: "scikit_learn==1.2.1" },
            { name: "joblib", pinned: false, line: "joblib>=1.2" },
            { name: "pillow", pinned: true, line: "Pillow[avif]==10.0 ; python_version>'3'" },
        ]);
    });

    const check = (frameworks: string[], requirementsText: string | undefined, imageHasPyTorch = true) =>
        frameworkWarnings({ frameworks, requirementsText, imageHasPyTorch, requirementsPath: "model-src/code/requirements.txt" });

    it("is silent when pytorch is in the image and sklearn is pinned", () => {
        assert.deepStrictEqual(check(["pytorch", "sklearn"], "scikit-learn==1.2.1\n"), []);
    });

    it("warns when sklearn is neither in the image nor in requirements.txt", () => {
        assert.deepStrictEqual(check(["pytorch", "sklearn"], undefined), [
            'model-src/code/requirements.txt: the manifest uses framework "sklearn", which the image does not provide; ' +
            'add "scikit-learn==<version the model was saved with>" to model-src/code/requirements.txt.',
        ]);
    });

    it("warns when tensorflow is listed but not pinned", () => {
        assert.deepStrictEqual(check(["tensorflow"], "tensorflow>=2.15\n"), [
            'model-src/code/requirements.txt: "tensorflow>=2.15" is not pinned; pin the exact version the "tensorflow" model ' +
            'was saved with ("tensorflow==X.Y.Z"), or it may not load in the container.',
        ]);
    });

    it("warns about pytorch on a non-PyTorch image unless torch is pinned", () => {
        assert.match(check(["pytorch"], "", false)[0], /framework "pytorch", which the image does not provide; add "torch==.* or use a PyTorch inference image\.$/);
        assert.deepStrictEqual(check(["pytorch"], "torch==2.5.1\n", false), []);
    });
});
