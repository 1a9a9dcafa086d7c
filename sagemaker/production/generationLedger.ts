/**
 * Rollback safety: the GenerationLedger, a Pulumi dynamic resource that owns the deletion of old generations.
 *
 * A generation is one Model + EndpointConfiguration (+ its archive or uncompressed prefix). The component declares
 * them with `retainOnDelete`, so an update never deletes what the endpoint may still run: when SageMaker rolls an
 * update back, the provider reports success (an open gap of the Terraform AWS provider that @pulumi/aws wraps) and
 * Pulumi would otherwise delete the configuration the rolled-back endpoint runs. Instead the ledger remembers the generations in its own
 * state and, on each update, deletes those older than the last `keep` that the endpoint neither serves nor is
 * moving to (DescribeEndpoint). `pulumi destroy` deletes the ledger after the Endpoint (the Endpoint depends on
 * it), and its delete removes every generation it remembers, so nothing the stack created is left behind
 * (archives only when forceDestroyArtifacts; otherwise they are retained like the bucket).
 *
 * Its `check` also runs the replacement guard (updateSafety.ts) on its previous and new inputs at every preview.
 * Provider functions are self-contained (they `require` what they use) because Pulumi serializes them.
 */
import * as pulumi from "@pulumi/pulumi";
import { guardProblems, GuardState, rollbackAlarmNames } from "./updateSafety";
import type { Settings } from "../../config/settings";

export const LEDGER_KEEP_GENERATIONS = 3;

export interface Generation { model: string; config: string; /** s3://bucket/key, or s3://bucket/prefix/ */ artifact?: string; deleteArtifact: boolean }

export interface LedgerInputs extends GuardState { region: string; keep: number; generation: Generation }
export interface LedgerState extends LedgerInputs { history: Generation[] }

/** What the ledger deletes through: SageMaker and S3 calls (real SDK clients, or a test's stand-in). */
export interface LedgerClients {
    describeEndpoint(name: string): Promise<{ EndpointConfigName?: string; PendingDeploymentSummary?: { EndpointConfigName?: string } } | undefined>;
    deleteEndpointConfig(name: string): Promise<void>;
    deleteModel(name: string): Promise<void>;
    deleteArtifact(s3Url: string): Promise<void>;
}

/** Pure: newest first, one entry per configuration. */
export function addGeneration(history: readonly Generation[], g: Generation): Generation[] {
    return [g, ...history.filter((h) => h.config !== g.config)];
}

/** Pure: which generations to delete now (older than the newest `keep`, and not serving or pending). */
export function generationsToDelete(history: readonly Generation[], keep: number, inUse: readonly string[]): Generation[] {
    return history.slice(keep).filter((g) => !inUse.includes(g.config));
}

/**
 * Pure: what deleting `doomed` removes, given the generations that stay: their configurations, and their models and
 * (deletable) artifacts unless a staying generation shares them (a settings-only change keeps the archive, a
 * configuration-only change keeps the model).
 */
export function deletions(doomed: readonly Generation[], staying: readonly Generation[]): { configs: string[]; models: string[]; artifacts: string[] } {
    const uniq = (xs: string[]) => [...new Set(xs)];
    return {
        configs: uniq(doomed.map((g) => g.config)),
        models: uniq(doomed.map((g) => g.model).filter((m) => !staying.some((s) => s.model === m))),
        artifacts: uniq(doomed.filter((g) => g.artifact && g.deleteArtifact).map((g) => g.artifact!).filter((a) => !staying.some((s) => s.artifact === a))),
    };
}

/** The dynamic provider. `clients` is for tests; by default the real SDK clients are built in the provider process. */
export function ledgerProvider(clients?: (region: string) => LedgerClients): pulumi.dynamic.ResourceProvider {
    const sdkClients = (region: string): LedgerClients => {
        /* eslint-disable @typescript-eslint/no-var-requires */
        const sm = require("@aws-sdk/client-sagemaker");
        const s3 = require("@aws-sdk/client-s3");
        const sagemaker = new sm.SageMakerClient({ region });
        const storage = new s3.S3Client({ region });
        const gone = (e: { name?: string; message?: string }) => /could not find|does not exist|not found/i.test(e.message ?? "") || e.name === "NoSuchKey";
        const quiet = async (f: () => Promise<unknown>) => { try { await f(); } catch (e) { if (!gone(e as Error)) throw e; } };
        return {
            describeEndpoint: async (name) => { try { return await sagemaker.send(new sm.DescribeEndpointCommand({ EndpointName: name })); } catch (e) { if (gone(e as Error)) return undefined; throw e; } },
            deleteEndpointConfig: (name) => quiet(() => sagemaker.send(new sm.DeleteEndpointConfigCommand({ EndpointConfigName: name }))),
            deleteModel: (name) => quiet(() => sagemaker.send(new sm.DeleteModelCommand({ ModelName: name }))),
            deleteArtifact: async (url) => {
                const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
                if (!m) return;
                if (!m[2].endsWith("/")) return quiet(() => storage.send(new s3.DeleteObjectCommand({ Bucket: m[1], Key: m[2] })));
                for (;;) {
                    const page = await storage.send(new s3.ListObjectsV2Command({ Bucket: m[1], Prefix: m[2] }));
                    const keys = (page.Contents ?? []).map((o: { Key: string }) => ({ Key: o.Key }));
                    if (keys.length === 0) return;
                    await storage.send(new s3.DeleteObjectsCommand({ Bucket: m[1], Delete: { Objects: keys, Quiet: true } }));
                }
            },
        };
    };
    const make = (region: string) => (clients ?? sdkClients)(region);
    const remove = async (c: LedgerClients, doomed: Generation[], staying: Generation[]) => {
        const d = deletions(doomed, staying);
        for (const n of d.configs) await c.deleteEndpointConfig(n);
        for (const n of d.models) await c.deleteModel(n);
        for (const u of d.artifacts) await c.deleteArtifact(u);
    };
    const guardFields = (x: Partial<LedgerInputs>) => JSON.stringify([x.endpointName, x.rollbackAlarms, x.instanceType, x.autoscaled, x.generation, x.keep, x.region]);
    return {
        async check(olds: Partial<LedgerState>, news: LedgerInputs) {
            const problems = guardProblems(olds, news);
            return { inputs: news, failures: problems.map((reason) => ({ property: "endpointName", reason })) };
        },
        async diff(_id: string, olds: LedgerState, news: LedgerInputs) {
            return { changes: guardFields(olds) !== guardFields(news), replaces: [], deleteBeforeReplace: false };
        },
        async create(inputs: LedgerInputs) {
            return { id: `${inputs.endpointName}-generations`, outs: { ...inputs, history: [inputs.generation] } };
        },
        async update(_id: string, olds: LedgerState, news: LedgerInputs) {
            const history = addGeneration(olds.history ?? [], news.generation);
            const c = make(news.region);
            const live = await c.describeEndpoint(news.endpointName);
            const inUse = [news.generation.config, live?.EndpointConfigName, live?.PendingDeploymentSummary?.EndpointConfigName].filter((x): x is string => !!x);
            const doomed = generationsToDelete(history, news.keep, inUse);
            const staying = history.filter((g) => !doomed.includes(g));
            try {
                await remove(c, doomed, staying);
            } catch {
                return { outs: { ...news, history } }; // pruning is retried on the next update; it never fails a deployment
            }
            return { outs: { ...news, history: staying } };
        },
        async delete(_id: string, props: LedgerState) {
            await remove(make(props.region), props.history ?? [], []);
        },
    };
}

export interface GenerationLedgerArgs extends Omit<LedgerInputs, "generation" | "keep"> {
    generation: pulumi.Input<{ model: pulumi.Input<string>; config: pulumi.Input<string>; artifact?: pulumi.Input<string>; deleteArtifact: boolean }>;
    keep?: number;
}

/**
 * The ledger resource (`pulumi-nodejs:dynamic:Resource`); its outputs hold the remembered generations. Every ledger
 * of a program uses one provider object: Pulumi serializes a dynamic provider once per object, so each further
 * ledger (one per endpoint) reuses that text instead of serializing the provider again.
 */
export class GenerationLedger extends pulumi.dynamic.Resource {
    private static readonly provider = ledgerProvider();
    public readonly history!: pulumi.Output<Generation[]>;
    constructor(name: string, args: GenerationLedgerArgs, opts?: pulumi.CustomResourceOptions) {
        super(GenerationLedger.provider, name, { ...args, keep: args.keep ?? LEDGER_KEEP_GENERATIONS, history: undefined }, opts);
    }

    /** The component's ledger: the guard fields from the settings, the generation from the new Model and configuration. */
    static forSettings(name: string, s: Settings, g: { model: pulumi.Input<string>; config: pulumi.Input<string>; artifact: pulumi.Input<string> },
        opts?: pulumi.CustomResourceOptions): GenerationLedger {
        const p = s.production;
        return new GenerationLedger(name, {
            project: s.project, region: s.region, endpointName: s.endpointName,
            rollbackAlarms: p.deployment?.autoRollback ? rollbackAlarmNames(s.endpointName).sort() : [],
            instanceType: s.instanceType, autoscaled: !!p.autoscaling, acknowledgeReplacement: !!p.acknowledgeEndpointReplacement,
            generation: { ...g, deleteArtifact: s.forceDestroyArtifacts },
        }, opts);
    }
}
