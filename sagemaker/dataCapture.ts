/**
 * Data capture of the endpoint's requests and responses to S3: pure builders for the
 * EndpointConfiguration `dataCaptureConfig` input and for the execution role's permissions.
 * SageMaker writes the captured JSON Lines files with the endpoint's execution role, under
 * `s3://<bucket>/<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import type { DataCaptureSettings } from "../config/productionConfig";
import type { PolicyStatement } from "./isolation";

/** Content types captured as text rather than base64 (the request contract is JSON). */
export const CAPTURED_JSON_CONTENT_TYPES = ["application/json"];

/** Pure: the S3 URI captured data goes to. */
export function dataCaptureS3Uri(bucketName: string, s3Prefix: string): string {
    return `s3://${bucketName}/${s3Prefix}`;
}

/**
 * Pure: the EndpointConfiguration `dataCaptureConfig`, or undefined when capture is off.
 * @param capture parsed settings (productionConfig): sampling 1-100 %, prefix, KMS key ARN.
 * @param bucketName the artifact bucket (an output of the created bucket, or the configured name).
 */
export function buildDataCaptureConfig(
    capture: DataCaptureSettings | undefined,
    bucketName: pulumi.Input<string>,
): aws.types.input.sagemaker.EndpointConfigurationDataCaptureConfig | undefined {
    if (!capture) return undefined;
    return {
        enableCapture: true,
        initialSamplingPercentage: capture.samplingPercent,
        destinationS3Uri: pulumi.output(bucketName).apply((b) => dataCaptureS3Uri(b, capture.s3Prefix)),
        kmsKeyId: capture.kmsKeyArn,
        captureOptions: [{ captureMode: "Input" }, { captureMode: "Output" }],
        captureContentTypeHeader: { jsonContentTypes: [...CAPTURED_JSON_CONTENT_TYPES] },
    };
}

/**
 * Pure: what the execution role needs to write captured data: s3:PutObject under the prefix only,
 * and data keys from the KMS key when one encrypts it.
 */
export function dataCapturePolicyStatements(
    capture: DataCaptureSettings, bucketName: string, partition = "aws",
): PolicyStatement[] {
    const statements: PolicyStatement[] = [{
        Sid: "DataCaptureWrite", Effect: "Allow", Action: ["s3:PutObject"],
        Resource: `arn:${partition}:s3:::${bucketName}/${capture.s3Prefix}/*`,
    }];
    if (capture.kmsKeyArn) {
        statements.push({ Sid: "DataCaptureEncrypt", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Encrypt"], Resource: capture.kmsKeyArn });
    }
    return statements;
}
