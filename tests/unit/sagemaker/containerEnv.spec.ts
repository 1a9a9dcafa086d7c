import * as assert from "assert";
import { ALWAYS_SET_ENV_KEYS, containerEnvironment, frameworkWarnings, parseEnvironment, parseRequirements, RESERVED_ENV_KEYS } from "../../../sagemaker/containerEnv";

describe("container environment and the deploy-side framework check", () => {
    it("sets the serving contract, the region, workers and log level, and keeps user entries", () => {
        assert.deepStrictEqual(containerEnvironment({ region: "us-west-2", containerLogLevel: 20, modelServerWorkers: 1, environment: { MY_FLAG: "on" } }), {
            MY_FLAG: "on",
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
        assert.deepStrictEqual(Object.keys(containerEnvironment(base)).sort(), [...ALWAYS_SET_ENV_KEYS].sort());
        const program = { CA_REPOSITORY_ARN: "arn:aws:codeartifact:us-east-1:111122223333:repository/d/r", MODEL_CACHE_BYTES: "1000",
            MODEL_CACHE_FRACTION: "0.4", MODEL_LOAD_RETRY_SECONDS: "7", MODEL_CACHE_WAIT_SECONDS: "20" };
        const env = containerEnvironment({ ...base, programEnvironment: program });
        assert.deepStrictEqual(Object.keys(env).sort(), [...RESERVED_ENV_KEYS].sort());
        assert.strictEqual(env.CA_REPOSITORY_ARN, program.CA_REPOSITORY_ARN);
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
