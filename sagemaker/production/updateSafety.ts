/**
 * Update safety decisions. Pure.
 *
 * - Replacement guard: the AWS provider replaces the Endpoint (delete, then create: downtime for the whole GPU
 *   start-up) when its name changes (config `endpointName`, or the stack name behind the default) or when the
 *   auto-rollback alarms change (`autoRollbackConfiguration` is ForceNew). Such a change is refused unless
 *   `acknowledgeEndpointReplacement` is true. An instance-type change on an autoscaled variant is refused too
 *   (SageMaker rejects it), with the three-step procedure.
 *   The previous values come from the GenerationLedger's previous inputs (generationLedger.ts), which Pulumi
 *   hands to its `check` at every preview: no AWS call and no StackReference is needed.
 * - Instance count: an update of an autoscaled variant keeps the live instance count (read at preview with
 *   DescribeEndpoint, liveEndpoint.ts) instead of resetting it to initialInstanceCount.
 * - Rollback alarms: only the alarms that judge the new version; GPU memory is not one (SageMaker publishes it per
 *   variant, so during a blue/green update it also measures the busy old fleet).
 */
import { alarmNames } from "./alarms";
import { keyNamer } from "../../config/names";

export const ACK_KEY = "acknowledgeEndpointReplacement";

/** The alarms auto-rollback watches: 5xx errors and p99 latency (not GPU memory; see above). */
export function rollbackAlarmNames(endpointName: string): string[] {
    const n = alarmNames(endpointName);
    return [n.invocation5xxErrors, n.modelLatencyP99];
}

/** What the guard compares between the previous and this deployment (the ledger's inputs). */
export interface GuardState {
    endpointName: string;
    /** Sorted rollback alarm names; [] = no auto-rollback. */
    rollbackAlarms: string[];
    instanceType: string;
    autoscaled: boolean;
    acknowledgeReplacement: boolean;
    project: string;
}

/** Pure: why this deployment must not proceed, compared with the previous one (none on the first deployment). */
export function guardProblems(previous: Partial<GuardState> | undefined, next: GuardState): string[] {
    if (!previous || previous.endpointName === undefined) return [];
    const K = keyNamer(next.project);
    const problems: string[] = [];
    const replacing: string[] = [];
    if (previous.endpointName !== next.endpointName) {
        replacing.push(`the endpoint name changes from ${previous.endpointName} to ${next.endpointName} (${K("endpointName")}, or the stack name behind its default)`);
    }
    const before = JSON.stringify(previous.rollbackAlarms ?? []);
    if (before !== JSON.stringify(next.rollbackAlarms)) {
        replacing.push(`the auto-rollback alarms change from ${before} to ${JSON.stringify(next.rollbackAlarms)} (${K("deploymentAutoRollback")})`);
    }
    if (replacing.length > 0 && !next.acknowledgeReplacement) {
        problems.push(`${K(ACK_KEY)}: this update replaces the endpoint because ${replacing.join(" and ")}; the AWS provider deletes the endpoint ` +
            `first and then creates it, so it answers no request for the whole GPU start-up. Revert the change, or migrate without downtime ` +
            `(docs/updates.md: a second endpoint beside the old one, switch clients, then remove the old), or accept the downtime with ` +
            `pulumi config set ${K(ACK_KEY)} true.`);
    }
    if (previous.autoscaled && next.autoscaled && previous.instanceType !== undefined && previous.instanceType !== next.instanceType) {
        problems.push(`${K("instanceType")}: ${previous.instanceType} -> ${next.instanceType} on a variant registered for autoscaling, which SageMaker ` +
            `rejects. Do it in three steps: 1. set ${K("autoscaling")} false and pulumi up (deregisters the variant); 2. change ${K("instanceType")} ` +
            `and pulumi up; 3. set ${K("autoscaling")} true and pulumi up.`);
    }
    return problems;
}

/** The part of the live endpoint the instance-count decision reads (liveEndpoint.ts). */
export interface LiveVariant { currentInstanceCount?: number }

/** What a generation runs, as far as an update would change it (everything but the instance count). */
export interface GenerationFingerprint {
    image: string; modelData: string; environment: Record<string, string>; instanceType: string;
    startupTimeout?: number; downloadTimeout?: number; volumeSizeInGb?: number;
}

/** Pure: whether the serving generation already runs everything `next` declares (so only the count could differ). */
export function sameGeneration(serving: GenerationFingerprint, next: GenerationFingerprint): boolean {
    const env = (e: Record<string, string>) => JSON.stringify(Object.keys(e).sort().map((k) => [k, e[k]]));
    return serving.image === next.image && serving.modelData === next.modelData && env(serving.environment) === env(next.environment) &&
        serving.instanceType === next.instanceType && serving.startupTimeout === next.startupTimeout &&
        serving.downloadTimeout === next.downloadTimeout && serving.volumeSizeInGb === next.volumeSizeInGb;
}

export interface InstanceCountDecision { count: number; message: string }

/**
 * Pure: the initial instance count of the new EndpointConfiguration. Without autoscaling, or without a live
 * endpoint, it is `initialInstanceCount`. With autoscaling and a live variant: when the serving generation already
 * runs what this deployment declares, the serving configuration's own count (nothing changes, no new deployment);
 * otherwise the live current count clamped to [autoscalingMinInstances, autoscalingMaxInstances], so the update does
 * not reset the fleet.
 */
export function instanceCountFor(s: { initialInstanceCount: number; autoscaling?: { minInstances: number; maxInstances: number } },
    live: LiveVariant | undefined, liveNote: string, serving?: GenerationFingerprint & { initialInstanceCount?: number }, next?: GenerationFingerprint): InstanceCountDecision {
    if (!s.autoscaling) return { count: s.initialInstanceCount, message: `instance count ${s.initialInstanceCount} (initialInstanceCount; no autoscaling)` };
    if (!live || live.currentInstanceCount === undefined) {
        return { count: s.initialInstanceCount, message: `instance count ${s.initialInstanceCount} (initialInstanceCount): ${liveNote}` };
    }
    if (serving && next && serving.initialInstanceCount !== undefined && sameGeneration(serving, next)) {
        return { count: serving.initialInstanceCount, message: `instance count ${serving.initialInstanceCount}: the serving configuration already runs this ` +
            `model and configuration, so its count is kept and nothing is redeployed; autoscaling manages the live ${live.currentInstanceCount} instance(s)` };
    }
    const count = Math.min(s.autoscaling.maxInstances, Math.max(s.autoscaling.minInstances, live.currentInstanceCount));
    return { count, message: `instance count ${count}: kept from the live endpoint's current ${live.currentInstanceCount} instance(s) ` +
        `(DescribeEndpoint at preview), not reset to initialInstanceCount ${s.initialInstanceCount}` };
}
