/**
 * Pulumi mocks shared by every spec (mocha runs all specs in one process, so mocks are set once).
 * Import this module BEFORE importing any module that declares resources.
 *
 * - records every registered resource (custom and component) with its inputs, by type and name;
 * - a STRICT call mock: an unknown function call throws, so a new data-source call cannot slip in;
 * - `recordOptions`: a resource transformation that records the options tests need
 *   (protect, retainOnDelete, deleteBeforeReplace, dependsOn, parent);
 * - `unwrap` to read an Output's value.
 */
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    custom: boolean;
}

export interface RecordedOptions {
    protect?: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    dependsOn: string[];
    parent?: string;
}

const recorded: RecordedResource[] = [];
const options = new Map<string, RecordedOptions>();
const calls: string[] = [];

/** Forgets everything recorded so far (call in beforeEach). */
export function resetRecorded(): void {
    recorded.length = 0;
    options.clear();
    calls.length = 0;
}

export function allResources(): RecordedResource[] {
    return [...recorded];
}

export function resourcesOfType(type: string): RecordedResource[] {
    return recorded.filter((r) => r.type === type);
}

/** The one resource of `type`; throws when there is not exactly one. */
export function oneOfType(type: string): RecordedResource {
    const found = resourcesOfType(type);
    if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
    return found[0];
}

export function optionsOf(name: string): RecordedOptions | undefined {
    return options.get(name);
}

export function recordedCalls(): string[] {
    return [...calls];
}

/** Pass as `transformations: [recordOptions]` on the component; children inherit it. */
export const recordOptions: pulumi.ResourceTransformation = (args) => {
    const deps = args.opts.dependsOn;
    const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
    options.set(args.name, {
        protect: args.opts.protect,
        retainOnDelete: args.opts.retainOnDelete,
        deleteBeforeReplace: (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
        dependsOn: list.map((d) => (pulumi.Resource.isInstance(d) ? (d as any).__name as string : "<output>")),
        parent: args.opts.parent ? (args.opts.parent as any).__name : undefined,
    });
    return undefined;
};

function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const region = "us-east-1";
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name}-0a1b2c3`;
            return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` };
        }
        case "aws:iam/role:Role":
            return { ...inputs, name: inputs.name ?? `${name}-7d8e9f0`, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}-7d8e9f0` };
        case "aws:sagemaker/model:Model":
        case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
        case "aws:sagemaker/endpoint:Endpoint": {
            const n = inputs.name ?? `${name}-a1b2c3d`;
            const kind = type.split(":").pop()!.replace("EndpointConfiguration", "endpoint-config").toLowerCase();
            return { ...inputs, name: n, arn: `arn:aws:sagemaker:${region}:${MOCK_ACCOUNT}:${kind}/${n.toLowerCase()}` };
        }
        case "aws:appautoscaling/policy:Policy":
            return { ...inputs, arn: `arn:aws:autoscaling:${region}:${MOCK_ACCOUNT}:scalingPolicy:mock:resource/${inputs.resourceId}:policyName/${name}` };
        default:
            return { ...inputs };
    }
}

pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true });
        const state = mockState(args.type, args.name, args.inputs);
        const id = state.bucket ?? state.name ?? `${args.name}-id`;
        return { id: String(id), state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
        calls.push(args.token);
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`, userId: "AIDATEST", id: MOCK_ACCOUNT };
        }
        throw new Error(`pulumiMocks: unexpected function call ${args.token}; add it to tests/support/pulumiMocks.ts on purpose`);
    },
}, "gpu-multi-model-endpoint", "test", false);

/** The value of an Output (mocks run with preview=false, so values are known). */
export function unwrap<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output as pulumi.Input<T>).apply((v) => { resolve(v as T); return v; }));
}

/**
 * Pulumi's own wait for the resource registrations still in flight (what `disconnect` drains before closing; not in the
 * SDK's typings). A component whose inputs resolve late (an archive still being built) registers after any fixed quiet
 * period, so `settle` waits for this first.
 */
const waitForRPCs = (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
/** Longest wait for registrations in flight, in ms; past it `settle` goes on as if they had drained. */
const RPC_WAIT_MS = 20000;

/** Waits until Pulumi has no registration in flight and no new resource has been registered for a few event-loop turns. */
export async function settle(quietMs = 30): Promise<void> {
    if (waitForRPCs) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([waitForRPCs(), new Promise<void>((r) => { timer = setTimeout(r, RPC_WAIT_MS); })]);
        clearTimeout(timer);
    }
    let last = -1;
    while (last !== recorded.length) {
        last = recorded.length;
        await new Promise((r) => setTimeout(r, quietMs));
    }
}
