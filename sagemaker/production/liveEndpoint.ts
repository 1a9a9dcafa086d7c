/**
 * Reads the live endpoint at preview (@aws-sdk/client-sagemaker) for the instance count of an autoscaled variant
 * (updateSafety.ts `instanceCountFor`): DescribeEndpoint for the current count and the serving configuration, then
 * DescribeEndpointConfig and DescribeModel of that configuration to tell whether anything but the count would change.
 * Never fails a preview: with no credentials, no network or no such endpoint it resolves to a note saying so, and
 * the count falls back to initialInstanceCount. Never called under Pulumi mocks unless a reader is injected (tests).
 */
import * as pulumi from "@pulumi/pulumi";
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { GenerationFingerprint, instanceCountFor, LiveVariant } from "./updateSafety";
import type { Settings } from "../../config/settings";

export interface LiveEndpointReading {
    /** The variant as deployed, or undefined when the endpoint does not exist or could not be read. */
    variant?: LiveVariant;
    /** What the serving configuration runs, when it could be read. */
    serving?: GenerationFingerprint & { initialInstanceCount?: number };
    /** One line for the preview log: what was read, or why nothing was. */
    note: string;
    /** True when the endpoint may exist but could not be read (no credentials, network, permissions). */
    failed?: boolean;
}

/** The three SageMaker reads, as the SDK answers them (the real client, or a test's stand-in at the client boundary). */
export interface LiveReader {
    describeEndpoint(name: string): Promise<{ EndpointStatus?: string; EndpointConfigName?: string;
        ProductionVariants?: { VariantName?: string; CurrentInstanceCount?: number }[] }>;
    describeEndpointConfig(name: string): Promise<{ ProductionVariants?: { VariantName?: string; ModelName?: string; InstanceType?: string;
        InitialInstanceCount?: number; ContainerStartupHealthCheckTimeoutInSeconds?: number; ModelDataDownloadTimeoutInSeconds?: number; VolumeSizeInGB?: number }[] }>;
    describeModel(name: string): Promise<{ PrimaryContainer?: { Image?: string; ModelDataUrl?: string; Environment?: Record<string, string>;
        ModelDataSource?: { S3DataSource?: { S3Uri?: string } } } }>;
}

/** Whether the program runs under Pulumi's mocks (unit tests): no AWS call is made then unless injected. */
export function underMocks(): boolean {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/** The real reader: one client in `region`, default credential chain, one attempt and 10 s per call. */
export function sdkLiveReader(region: string): LiveReader {
    const client = new SageMakerClient({ region, maxAttempts: 1, requestHandler: { requestTimeout: 10000, connectionTimeout: 5000 } });
    const opts = () => ({ abortSignal: AbortSignal.timeout(10000) });
    return {
        describeEndpoint: (EndpointName) => client.send(new DescribeEndpointCommand({ EndpointName }), opts()),
        describeEndpointConfig: (EndpointConfigName) => client.send(new DescribeEndpointConfigCommand({ EndpointConfigName }), opts()),
        describeModel: (ModelName) => client.send(new DescribeModelCommand({ ModelName }), opts()),
    };
}

async function readServing(reader: LiveReader, configName: string, variantName: string): Promise<LiveEndpointReading["serving"]> {
    try {
        const v = (await reader.describeEndpointConfig(configName)).ProductionVariants?.find((p) => p.VariantName === variantName);
        if (!v?.ModelName) return undefined;
        const c = (await reader.describeModel(v.ModelName)).PrimaryContainer ?? {};
        return { image: c.Image ?? "", modelData: c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri ?? "", environment: c.Environment ?? {},
            instanceType: v.InstanceType ?? "", startupTimeout: v.ContainerStartupHealthCheckTimeoutInSeconds, downloadTimeout: v.ModelDataDownloadTimeoutInSeconds,
            volumeSizeInGb: v.VolumeSizeInGB, initialInstanceCount: v.InitialInstanceCount };
    } catch {
        return undefined; // e.g. the configuration was deleted: treated as a different generation
    }
}

/** Reads the variant and its serving generation; resolves (never rejects) with a note for the plan. */
export async function readLiveEndpoint(reader: LiveReader, endpointName: string, variantName: string): Promise<LiveEndpointReading> {
    try {
        const d = await reader.describeEndpoint(endpointName);
        const v = (d.ProductionVariants ?? []).find((p) => p.VariantName === variantName);
        if (!v) return { note: `endpoint ${endpointName} (${d.EndpointStatus}) has no variant ${variantName} yet` };
        const serving = d.EndpointConfigName ? await readServing(reader, d.EndpointConfigName, variantName) : undefined;
        return { variant: { currentInstanceCount: v.CurrentInstanceCount }, serving,
            note: `endpoint ${endpointName} is ${d.EndpointStatus} with ${v.CurrentInstanceCount} instance(s) in ${variantName}` };
    } catch (e) {
        const err = e as { name?: string; message?: string };
        if (err.name === "ValidationException" && /could not find endpoint/i.test(err.message ?? "")) {
            return { note: `endpoint ${endpointName} does not exist yet (DescribeEndpoint)` };
        }
        return { failed: true, note: `the live endpoint could not be read (${err.name ?? "Error"}: ${(err.message ?? String(e)).split("\n")[0]}), ` +
            `e.g. no AWS credentials; the preview goes on without it` };
    }
}

/**
 * The new configuration's instance count as an Output, logged on `parent` for the plan. The live endpoint is read
 * only with autoscaling (the only case the live count matters), through `reader` when given, else the SDK, but
 * never under Pulumi mocks. `declared` is what the new generation runs (compared with the serving one).
 */
export function liveInstanceCount(s: Settings, parent: pulumi.Resource,
    declared: { modelDataUrl: pulumi.Input<string>; environment: Record<string, string> }, reader?: LiveReader): pulumi.Output<number> {
    const next = pulumi.output(declared.modelDataUrl).apply((modelData): GenerationFingerprint => ({ image: s.imageUri, modelData,
        environment: declared.environment, instanceType: s.instanceType, startupTimeout: s.containerStartupHealthCheckTimeoutInSeconds,
        downloadTimeout: s.modelDataDownloadTimeoutInSeconds, volumeSizeInGb: s.volumeSizeInGb }));
    const autoscaling = s.production.autoscaling;
    let reading: Promise<LiveEndpointReading>;
    if (!autoscaling) reading = Promise.resolve({ note: "not read (no autoscaling)" });
    else if (!reader && underMocks()) reading = Promise.resolve({ note: "the live endpoint was not read (Pulumi mocks: no AWS call)" });
    else reading = readLiveEndpoint(reader ?? sdkLiveReader(s.region), s.endpointName, s.variantName);
    return pulumi.all([pulumi.output(reading), next]).apply(([r, fingerprint]) => {
        const d = instanceCountFor({ initialInstanceCount: s.initialInstanceCount, autoscaling }, r.variant, r.note, r.serving, fingerprint as GenerationFingerprint);
        const line = `update plan: ${d.message}${autoscaling && r.variant ? ` (${r.note})` : ""}.`;
        // With autoscaling, an unread live count means an update of an existing endpoint resets it: say so loudly.
        if (autoscaling && r.failed) pulumi.log.warn(`${line} If the endpoint exists, this update resets its autoscaled variant to that count.`, parent);
        else pulumi.log.info(line, parent);
        return d.count;
    });
}
