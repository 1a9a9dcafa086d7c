/**
 * Reads the live endpoint at preview with DescribeEndpoint (@aws-sdk/client-sagemaker), for the instance count
 * of an autoscaled variant (updateSafety.ts `instanceCountFor`). Never fails a preview: with no credentials, no
 * network or no such endpoint it resolves to a note saying so, and the count falls back to initialInstanceCount.
 * Never called under Pulumi mocks unless a reader is injected (tests), so specs make no AWS call.
 */
import * as pulumi from "@pulumi/pulumi";
import { DescribeEndpointCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { instanceCountFor, LiveVariant } from "./updateSafety";
import type { Settings } from "./settings";

export interface LiveEndpointReading {
    /** The variant as deployed, or undefined when the endpoint does not exist or could not be read. */
    variant?: LiveVariant;
    /** One line for the preview log: what was read, or why nothing was. */
    note: string;
    /** True when the endpoint may exist but could not be read (no credentials, network, permissions). */
    failed?: boolean;
}

/** What the component is given: a function that answers DescribeEndpoint (the SDK client's `send`, or a test's stand-in). */
export type DescribeEndpoint = (endpointName: string) => Promise<{
    EndpointStatus?: string; ProductionVariants?: { VariantName?: string; CurrentInstanceCount?: number; DesiredInstanceCount?: number;
        CurrentServerlessConfig?: unknown; InstanceType?: string }[];
}>;

/** Whether the program runs under Pulumi's mocks (unit tests): no AWS call is made then unless injected. */
export function underMocks(): boolean {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/** The real reader: one DescribeEndpoint call in `region`, default credential chain, one attempt, 10 s budget. */
export function sdkDescribeEndpoint(region: string): DescribeEndpoint {
    return async (endpointName) => {
        const client = new SageMakerClient({ region, maxAttempts: 1, requestHandler: { requestTimeout: 10000, connectionTimeout: 5000 } });
        try {
            return await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }), { abortSignal: AbortSignal.timeout(10000) });
        } finally {
            client.destroy();
        }
    };
}

/** Reads the variant; resolves (never rejects) with a note for the plan. */
export async function readLiveEndpoint(describe: DescribeEndpoint, endpointName: string, variantName: string): Promise<LiveEndpointReading> {
    try {
        const d = await describe(endpointName);
        const v = (d.ProductionVariants ?? []).find((p) => p.VariantName === variantName);
        if (!v) return { note: `endpoint ${endpointName} (${d.EndpointStatus}) has no variant ${variantName} yet` };
        return { variant: { currentInstanceCount: v.CurrentInstanceCount, instanceType: v.InstanceType },
            note: `endpoint ${endpointName} is ${d.EndpointStatus} with ${v.CurrentInstanceCount} instance(s) in ${variantName}` };
    } catch (e) {
        const err = e as { name?: string; message?: string };
        if (err.name === "ValidationException" && /could not find endpoint/i.test(err.message ?? "")) {
            return { note: `endpoint ${endpointName} does not exist yet (DescribeEndpoint)` };
        }
        return { failed: true, note: `the live endpoint could not be read (${err.name ?? "Error"}: ${(err.message ?? String(e)).split("\n")[0]}), e.g. no AWS credentials; ` +
            `the preview goes on without it` };
    }
}

/**
 * The new configuration's instance count as an Output, logged on `parent` for the plan. DescribeEndpoint is called
 * only with autoscaling (the only case the live count matters), through `describe` when given, else the SDK, but
 * never under Pulumi mocks.
 */
export function liveInstanceCount(s: Settings, parent: pulumi.Resource, describe?: DescribeEndpoint): pulumi.Output<number> {
    const autoscaling = s.production.autoscaling;
    let reading: Promise<LiveEndpointReading>;
    if (!autoscaling) reading = Promise.resolve({ note: "not read (no autoscaling)" });
    else if (!describe && underMocks()) reading = Promise.resolve({ note: "the live endpoint was not read (Pulumi mocks: no AWS call)" });
    else reading = readLiveEndpoint(describe ?? sdkDescribeEndpoint(s.region), s.endpointName, s.variantName);
    return pulumi.output(reading.then((r) => {
        const d = instanceCountFor({ initialInstanceCount: s.initialInstanceCount, autoscaling }, r.variant, r.note);
        const line = `update plan: ${d.message}${autoscaling && r.variant ? ` (${r.note})` : ""}.`;
        // With autoscaling, an unread live count means an update of an existing endpoint resets it: say so loudly.
        if (autoscaling && r.failed) pulumi.log.warn(`${line} If the endpoint exists, this update resets its autoscaled variant to that count.`, parent);
        else pulumi.log.info(line, parent);
        return d.count;
    }));
}
