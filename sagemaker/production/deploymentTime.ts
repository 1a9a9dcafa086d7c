/**
 * Deployment time budget. Pure.
 *
 * The AWS provider waits for an endpoint update with a fixed 60-minute waiter (DescribeEndpoint until
 * InService) and the Endpoint resource takes no custom timeouts. When an update can take longer, `pulumi up`
 * fails while SageMaker is still updating and the next `pulumi up` meets an endpoint in `Updating`. So preview
 * computes the worst case of one update from the settings and refuses a configuration that can exceed the wait.
 *
 * Worst case of a blue/green update (the only policy this program declares): SageMaker provisions the whole
 * new fleet at once, so the model download and the container's health check count once; then every traffic
 * step bakes `deploymentWaitIntervalSeconds` (1 step for ALL_AT_ONCE, 2 for CANARY: the canary and the rest,
 * one per step for LINEAR), then the old fleet is kept `deploymentTerminationWaitSeconds`. SageMaker stops a
 * deployment after `deploymentMaximumExecutionTimeoutSeconds`, so the total is capped by it. Instance
 * provisioning itself (minutes, not configurable) is not counted.
 */
import type { DeploymentSettings } from "../../config/productionConfig";
import { keyNamer } from "../../config/names";

/** terraform-provider-aws's endpoint update waiter (WaitUntilEndpointInService: 120 polls x 30 s). */
export const PROVIDER_UPDATE_WAIT_SECONDS = 3600;

export interface DeploymentTimeInput {
    project: string;
    modelDataDownloadTimeoutInSeconds: number;
    containerStartupHealthCheckTimeoutInSeconds: number;
    initialInstanceCount: number;
    /** Most instances the variant may have (autoscalingMaxInstances when autoscaling, else initialInstanceCount). */
    maxInstances: number;
    /** undefined = no deploymentConfig: SageMaker's default blue/green, all at once, no baking. */
    deployment?: DeploymentSettings;
}

export interface DeploymentTimeBudget {
    /** Each term of the sum, in order: label, seconds, the config key that sets it. */
    terms: { label: string; seconds: number; key: string }[];
    /** Sum of the terms, capped by the deployment's maximum execution time. */
    worstCaseSeconds: number;
    limitSeconds: number;
    /** One line for the preview log. */
    summary: string;
    /** An error naming the keys to lower, when the worst case exceeds the provider's wait. */
    error?: string;
}

/** Pure: traffic steps of a blue/green deployment, each followed by one baking interval. */
export function trafficSteps(d: Pick<DeploymentSettings, "trafficRouting" | "stepSizeType" | "linearStepSize">, maxInstances: number): number {
    if (d.trafficRouting === "CANARY") return 2;
    if (d.trafficRouting === "LINEAR") {
        return d.stepSizeType === "CAPACITY_PERCENT" ? Math.ceil(100 / Math.max(1, d.linearStepSize)) : Math.ceil(maxInstances / Math.max(1, d.linearStepSize));
    }
    return 1;
}

const minutes = (s: number) => `${Math.round((s / 60) * 10) / 10} min`;

/** Pure: the worst-case duration of one endpoint update and, when it can exceed the provider's wait, the error. */
export function deploymentTimeBudget(i: DeploymentTimeInput): DeploymentTimeBudget {
    const K = keyNamer(i.project);
    const terms = [
        { label: "model download", seconds: i.modelDataDownloadTimeoutInSeconds, key: K("modelDataDownloadTimeoutInSeconds") },
        { label: "container health check", seconds: i.containerStartupHealthCheckTimeoutInSeconds, key: K("containerStartupHealthCheckTimeoutInSeconds") },
    ];
    const d = i.deployment;
    if (d) {
        const steps = trafficSteps(d, i.maxInstances);
        terms.push({ label: `${steps} x ${d.waitIntervalSeconds} s baking (${d.trafficRouting})`, seconds: steps * d.waitIntervalSeconds, key: K("deploymentWaitIntervalSeconds") });
        terms.push({ label: "termination wait", seconds: d.terminationWaitSeconds, key: K("deploymentTerminationWaitSeconds") });
    }
    const sum = terms.reduce((a, t) => a + t.seconds, 0);
    const worstCaseSeconds = d ? Math.min(sum, d.maximumExecutionTimeoutSeconds) : sum;
    const capped = d && d.maximumExecutionTimeoutSeconds < sum ? ` (capped by ${K("deploymentMaximumExecutionTimeoutSeconds")} ${d.maximumExecutionTimeoutSeconds} s)` : "";
    const summary = `endpoint update worst case ${worstCaseSeconds} s (${minutes(worstCaseSeconds)}) of the provider's ${PROVIDER_UPDATE_WAIT_SECONDS} s wait: ` +
        terms.map((t) => `${t.label} ${t.seconds} s`).join(" + ") + capped + "; instance provisioning is not counted.";
    let error: string | undefined;
    if (worstCaseSeconds > PROVIDER_UPDATE_WAIT_SECONDS) {
        const over = worstCaseSeconds - PROVIDER_UPDATE_WAIT_SECONDS;
        const lower = terms.filter((t) => t.seconds > 0).map((t) => t.key);
        if (d && d.trafficRouting === "LINEAR") lower.push(`${K("deploymentLinearStepSize")} (raise it: fewer steps)`);
        if (d) lower.push(K("deploymentMaximumExecutionTimeoutSeconds"));
        error = `${K("deploymentWaitIntervalSeconds")} and the other update timeouts: an endpoint update can take ${worstCaseSeconds} s ` +
            `(${terms.map((t) => `${t.label} ${t.seconds} s`).join(" + ")}), ${over} s more than the AWS provider's fixed ${PROVIDER_UPDATE_WAIT_SECONDS} s wait; ` +
            `pulumi up would fail while SageMaker is still updating. Lower ${lower.join(", ")} so the total is at most ${PROVIDER_UPDATE_WAIT_SECONDS} s.`;
    }
    return { terms, worstCaseSeconds, limitSeconds: PROVIDER_UPDATE_WAIT_SECONDS, summary, error };
}

/** The budget of validated settings' values (config.ts checks it before any resource is declared; the component logs its summary). */
export function budgetInput(s: {
    project: string; modelDataDownloadTimeoutInSeconds: number; containerStartupHealthCheckTimeoutInSeconds: number;
    initialInstanceCount: number; production?: { deployment?: DeploymentSettings; autoscaling?: { maxInstances: number } };
}): DeploymentTimeInput {
    return {
        project: s.project, modelDataDownloadTimeoutInSeconds: s.modelDataDownloadTimeoutInSeconds,
        containerStartupHealthCheckTimeoutInSeconds: s.containerStartupHealthCheckTimeoutInSeconds, initialInstanceCount: s.initialInstanceCount,
        maxInstances: Math.max(s.initialInstanceCount, s.production?.autoscaling?.maxInstances ?? 0), deployment: s.production?.deployment,
    };
}
