/**
 * The smoke test's first step against AWS: DescribeEndpoint (`@aws-sdk/client-sagemaker`). The endpoint must be
 * InService and running the EndpointConfiguration the stack outputs name (`endpointConfigName`). The AWS provider
 * reports an update that SageMaker rolled back as a success, so without this check a smoke test would pass
 * against the OLD model while the stack outputs describe the new one.
 */
import { DescribeEndpointCommand, DescribeEndpointCommandOutput, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { DEFAULT_TIMEOUT_SECONDS, requestBounds } from "./callBounds";

/** The part of a DescribeEndpoint answer the check reads. */
export type EndpointDescription = Pick<DescribeEndpointCommandOutput, "EndpointStatus" | "EndpointConfigName" | "FailureReason" | "PendingDeploymentSummary">;

/** Pure: why the endpoint does not serve what the stack outputs name (one line), or undefined when it does. */
export function servingProblem(endpointName: string, d: EndpointDescription, expectedConfigName?: string): string | undefined {
    const serving = d.EndpointConfigName ?? "(no configuration)";
    const pending = d.PendingDeploymentSummary?.EndpointConfigName;
    if (d.EndpointStatus !== "InService") {
        const what = d.EndpointStatus === "Updating" || d.EndpointStatus === "SystemUpdating" || pending
            ? `a pending update${pending ? ` to ${pending}` : ""} (or its rollback) is still running` : "it is not serving normally";
        return `endpoint ${endpointName} is ${d.EndpointStatus ?? "in an unknown state"}, not InService: ${what}; ` +
            `serving ${serving}${d.FailureReason ? ` (failure: ${d.FailureReason})` : ""}. Wait for InService and rerun, or check it with aws sagemaker describe-endpoint.`;
    }
    if (expectedConfigName && d.EndpointConfigName !== expectedConfigName) {
        return `endpoint ${endpointName} serves endpoint configuration ${serving}, not ${expectedConfigName} named by the stack outputs: ` +
            `SageMaker rolled the last update back (or another update replaced it), so the stack outputs describe a model that is not being served; ` +
            `find the cause in the endpoint's events and alarms, fix it, then pulumi up again.`;
    }
    return undefined;
}

/** Minimal client surface, so tests can answer DescribeEndpoint without AWS. */
export interface DescribeEndpointClient { send(command: DescribeEndpointCommand): Promise<EndpointDescription> }

/** Calls DescribeEndpoint and returns the one-line problem, or undefined. A failed call is a problem too. */
export async function checkServing(target: { endpointName: string; region: string; endpointConfigName?: string },
    client?: DescribeEndpointClient, timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1000): Promise<string | undefined> {
    const own = client ? undefined : new SageMakerClient({ region: target.region, requestHandler: requestBounds(timeoutMs) });
    try {
        const d = await (client ?? (own as unknown as DescribeEndpointClient)).send(new DescribeEndpointCommand({ EndpointName: target.endpointName }));
        return servingProblem(target.endpointName, d, target.endpointConfigName);
    } catch (e) {
        const err = e as { name?: string; message?: string };
        return `DescribeEndpoint ${target.endpointName} (${target.region}) failed: ${err.name ?? "Error"}: ${err.message ?? String(e)}`;
    } finally {
        own?.destroy();
    }
}
