/** Builds a GpuModelEndpoint under the shared mocks and waits for every registration. */
import { recordOptions, settle, unwrap } from "./pulumiMocks";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GpuModelEndpoint } from "../../sagemaker/gpuModelEndpoint";
import type { Settings } from "../../config/settings";

/** Resource type tokens of the component's children. */
export const T = {
    bucket: "aws:s3/bucket:Bucket", pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    own: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy", object: "aws:s3/bucketObject:BucketObject",
    role: "aws:iam/role:Role", rolePolicy: "aws:iam/rolePolicy:RolePolicy", model: "aws:sagemaker/model:Model",
    config: "aws:sagemaker/endpointConfiguration:EndpointConfiguration", endpoint: "aws:sagemaker/endpoint:Endpoint",
    ledger: "pulumi-nodejs:dynamic:Resource",
};

export interface EndpointOutputs {
    endpointName: string; endpointArn: string; region: string; modelDataUrl: string;
    artifactSha256: string; imageUri: string; executionRoleArn: string; variantName: string; endpointConfigName: string;
}

export async function deploy(settings: Settings, base: string, name = "ep", extra: pulumi.ResourceTransformation[] = []): Promise<EndpointOutputs> {
    const ep = new GpuModelEndpoint(name, { settings, baseDir: base, buildDir: path.join(base, "build") }, { transformations: [recordOptions, ...extra] });
    const out = await unwrap<EndpointOutputs>(pulumi.all({
        endpointName: ep.endpointName, endpointArn: ep.endpointArn, region: ep.region, modelDataUrl: ep.modelDataUrl,
        artifactSha256: ep.artifactSha256, imageUri: ep.imageUri, executionRoleArn: ep.executionRoleArn, variantName: ep.variantName,
        endpointConfigName: ep.endpointConfigName,
    }) as unknown as pulumi.Output<EndpointOutputs>);
    await settle();
    return out;
}

export const sha256File = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
