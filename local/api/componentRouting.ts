/**
 * Routing of an invocation by the `X-Amzn-SageMaker-Inference-Component` header, which
 * `@aws-sdk/client-sagemaker-runtime` sends for `InferenceComponentName`. Pure.
 * An endpoint that hosts inference components needs the header (AWS's ValidationError text when it is missing);
 * a name it does not host is a ValidationError (message approximated: AWS's exact text was not available here).
 */
import { awsError, LOCAL_ACCOUNT_ID } from "./awsErrors";
import type { AwsErrorReply } from "./awsErrors";

export const INFERENCE_COMPONENT_HEADER = "x-amzn-sagemaker-inference-component";
export const COMPONENT_NAME_MISSING = "Inference Component Name header is required for endpoints to which you plan to deploy inference components. " +
    "Please include Inference Component Name header or consider using SageMaker models.";

/** Where an invocation goes: the base URL of a model server, or the error AWS answers. */
export type Route = { base: string; component?: string } | { error: AwsErrorReply };

/**
 * `components`: component name -> its model server's base URL (an endpoint of the components topology);
 * undefined for a router endpoint, whose one model server is `router`.
 */
export function routeInvocation(header: string | undefined, components: Record<string, () => string> | undefined, router: () => string): Route {
    const name = header?.trim() || undefined;
    if (!components) {
        if (name === undefined) return { base: router() };
        return { error: awsError(400, "ValidationError", `Inference Component ${name} of account ${LOCAL_ACCOUNT_ID} not found; this endpoint hosts no inference components.`) };
    }
    if (name === undefined) return { error: awsError(400, "ValidationError", COMPONENT_NAME_MISSING, { ErrorCode: "INFERENCE_COMPONENT_NAME_MISSING" }) };
    const base = Object.prototype.hasOwnProperty.call(components, name) ? components[name] : undefined;
    if (!base) {
        return { error: awsError(400, "ValidationError", `Inference Component ${name} of account ${LOCAL_ACCOUNT_ID} not found; ` +
            `this endpoint hosts ${Object.keys(components).sort().join(", ")}.`) };
    }
    return { base: base(), component: name };
}
