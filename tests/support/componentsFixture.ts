/**
 * A model directory with two models in their own folders and a shared file, and a deploy helper for the
 * components topology under the shared Pulumi mocks.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { recordOptions, settle, unwrap } from "./pulumiMocks";
import { GpuModelEndpoint } from "../../sagemaker/gpuModelEndpoint";
import type { Settings } from "../../config/settings";

export const IC = "aws-native:sagemaker:InferenceComponent";
export const T = {
    object: "aws:s3/bucketObject:BucketObject", model: "aws:sagemaker/model:Model",
    config: "aws:sagemaker/endpointConfiguration:EndpointConfiguration", endpoint: "aws:sagemaker/endpoint:Endpoint",
    target: "aws:appautoscaling/target:Target", policy: "aws:appautoscaling/policy:Policy", alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

const created: string[] = [];
if (typeof after === "function") after(() => { for (const d of created.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

export interface TwoModelOptions { fashion?: Record<string, unknown>; sentiment?: Record<string, unknown> }

/** `<base>/model`: code/, shared/vocab.txt, fashion/model.pt (pytorch), sentiment/model.joblib (sklearn), models.json. */
export function makeTwoModelDir(o: TwoModelOptions = {}): { base: string; dir: string } {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "gmme-components-"));
    created.push(base);
    const dir = path.join(base, "model");
    const files: Record<string, string> = {
        "code/inference.py": ["def model_fn(model_dir):", "    return {}", "def input_fn(body, content_type):", "    return body",
            "def predict_fn(data, models):", "    return data", "def output_fn(prediction, accept):", "    return prediction", ""].join("\n"),
        "code/requirements.txt": "scikit-learn==1.2.1\n",
        "shared/vocab.txt": "shared\n",
        "fashion/model.pt": "fashion v1\n",
        "sentiment/model.joblib": "sentiment v1\n",
    };
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    const models = [
        { name: "fashion", framework: "pytorch", path: "fashion/model.pt", task: "image-classification", labels: ["a", "b"], memoryBytes: 32833536, ...o.fashion },
        { name: "sentiment", framework: "sklearn", path: "sentiment/model.joblib", task: "text-classification", labels: ["x", "y"], memoryBytes: 12058624, ...o.sentiment },
    ];
    fs.writeFileSync(path.join(dir, "models.json"), JSON.stringify({ models }, null, 2));
    return { base, dir };
}

export interface Deployed { endpointName: string; components: Record<string, string>; artifactSha256: string; modelDataUrl: string }

export async function deployComponents(settings: Settings, base: string, name = "ep", extra: pulumi.ResourceTransformation[] = []): Promise<Deployed> {
    const ep = new GpuModelEndpoint(name, { settings, baseDir: base, buildDir: path.join(base, "build") }, { transformations: [recordOptions, ...extra] });
    const out = await unwrap(pulumi.all({ endpointName: ep.endpointName, components: ep.inferenceComponents ?? pulumi.output({}),
        artifactSha256: ep.artifactSha256, modelDataUrl: ep.modelDataUrl })) as unknown as Deployed;
    await settle();
    return out;
}
