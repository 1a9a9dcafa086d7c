/**
 * SageMaker Runtime error answers in the restJson1 shape `@aws-sdk/client-sagemaker-runtime` parses:
 * the error name in `x-amzn-ErrorType`, a JSON body with `message` (and the modelled members).
 */

/** Account id shown in messages and ARNs of the local endpoint. */
export const LOCAL_ACCOUNT_ID = "000000000000";

export interface AwsErrorReply {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** An error answer in the restJson1 shape the SDK parses: the name in `x-amzn-ErrorType`, `message` in the body. */
export function awsError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): AwsErrorReply {
    return {
        status,
        headers: { "content-type": "application/json", "x-amzn-errortype": type },
        body: JSON.stringify({ ...extra, message }),
    };
}

/** The ModelError answer AWS gives when the container answers non-2xx (or not at all: status 0). */
export function modelError(opts: { status: number; body: string; endpointName: string; region: string }): AwsErrorReply {
    const kind = opts.status >= 400 && opts.status < 500 ? "client" : "server";
    const group = `/aws/sagemaker/Endpoints/${opts.endpointName}`;
    const message = `Received ${kind} error (${opts.status}) from primary with message "${opts.body}". ` +
        `See the local model server log (CloudWatch log group ${group} on AWS) in account ${LOCAL_ACCOUNT_ID} for more information.`;
    return awsError(424, "ModelError", message, {
        ErrorCode: kind === "client" ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL",
        LogStreamArn: `arn:aws:logs:${opts.region}:${LOCAL_ACCOUNT_ID}:log-group:${group}`,
        Message: message,
        OriginalMessage: opts.body,
        OriginalStatusCode: opts.status,
    });
}
