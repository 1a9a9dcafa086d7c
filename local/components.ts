/**
 * The local endpoint in the components topology (`npm start -- --topology components`): one local
 * component per model of models.json, each serving that model's own archive (the same per-model archive
 * `pulumi up` uploads: componentArchives.ts, packed by buildModelArchive and extracted like /opt/ml/model)
 * with its own model server (startModelServer), behind one runtime API that routes by the
 * `X-Amzn-SageMaker-Inference-Component` header. Locally each component is named after its model.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import { AddressInfo } from "net";
import { filesForModel, manifestForModel, syncStageDir } from "../packaging/componentArchives";
import { listArchiveEntries } from "../packaging/archiveEntries";
import { ArchiveResult, buildModelArchive } from "../packaging/modelArchive";
import { validateModelDir } from "../packaging/modelDir";
import type { Manifest } from "../packaging/manifest";
import { createRuntimeApi } from "./api/runtimeApi";
import { DEFAULT_CREDENTIALS, INVOKE_LIMIT_MS, listenOn, REPO_ROOT } from "./endpoint";
import { logText } from "./api/logText";
import { sageMakerNameProblem } from "../config/names";
import type { LocalEndpointOptions } from "./endpoint";
import { ExitInfo, ModelServerHandle, startModelServer } from "./server/modelServer";

export interface LocalComponent {
    /** Inference component name (locally: the model's name). */
    name: string;
    model: string;
    /** The component's own model server. */
    server: ModelServerHandle;
    /** Its archive, and where it was extracted (`<workDir>/ml/model`). */
    archive: ArchiveResult;
    workDir: string;
    /** Milliseconds from the start of this component until its /ping was healthy (archive, extraction, model loading). */
    startMs: number;
}

export interface LocalComponentsEndpoint {
    url: string;
    endpoint: string;
    endpointName: string;
    port: number;
    /** Model name -> inference component name (the stack output `inferenceComponents` has the same shape). */
    inferenceComponents: Record<string, string>;
    components: LocalComponent[];
    /** Temporary directory of every component's staging folder, archive and extracted model; removed by stop(). */
    workDir: string;
    /** Resolves when any component's model server exits. */
    exited: Promise<ExitInfo>;
    forwarded(): number;
    stop(): Promise<void>;
}

/** One component: stage the model's files, pack and extract its archive, start its model server. */
async function startComponent(modelDir: string, manifest: Manifest, files: string[], model: string, workDir: string,
    opts: LocalEndpointOptions, log: (l: string) => void): Promise<LocalComponent> {
    const t0 = Date.now();
    const stage = path.join(workDir, "src");
    syncStageDir(modelDir, stage, filesForModel(files, manifest, model), manifestForModel(manifest, model));
    const archiveFile = path.join(workDir, "model.tar.gz");
    const archive = await buildModelArchive(stage, archiveFile, { cache: false, linkRoot: modelDir }); // links into the checked modelDir
    const extracted = path.join(workDir, "ml", "model");
    fs.mkdirSync(extracted, { recursive: true });
    await tar.x({ file: archiveFile, cwd: extracted, strict: true });
    log(`archive: ${archive.files.length} files, ${archive.bytes} bytes, sha256 ${archive.sha256}; extracted to ${extracted}`);
    const server = await startModelServer(extracted, { timeoutSeconds: opts.modelServerTimeoutSeconds ?? 60, workers: opts.workers, env: opts.env,
        startupTimeoutMs: opts.startupTimeoutMs, signal: opts.signal, log: (l) => log(`model-server | ${l}`) });
    return { name: model, model, server, archive, workDir, startMs: Date.now() - t0 };
}

/** Starts one local component per model (in parallel) and the routing runtime API; on failure stops everything. */
export async function startLocalComponents(opts: LocalEndpointOptions = {}): Promise<LocalComponentsEndpoint> {
    const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
    const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "model-src");
    const endpointName = opts.endpointName ?? "local";
    const host = opts.host ?? "127.0.0.1";
    const nameProblem = sageMakerNameProblem(endpointName);
    if (nameProblem) throw new Error(`endpoint name "${logText(endpointName, 80)}" ${nameProblem}`);
    const check = validateModelDir(modelDir);
    for (const w of check.warnings) log(`warning: ${w}`);
    if (check.errors.length > 0 || !check.manifest) throw new Error(`the model directory has problems:\n  ${check.errors.join("\n  ")}`);
    const manifest = check.manifest;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-components-"));
    const started: LocalComponent[] = [];
    const routes: Record<string, () => string> = {}; // filled once every component is healthy
    const api = createRuntimeApi({
        endpointName, credentials: opts.credentials ?? DEFAULT_CREDENTIALS, modelServerUrl: () => "",
        inferenceComponents: routes, containerTimeoutMs: INVOKE_LIMIT_MS, log: (l) => log(`runtime-api | ${l}`),
    });
    let stopped = false;
    const stop = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        api.setUnavailable("the endpoint is stopping");
        await new Promise<void>((r) => { api.server.close(() => r()); api.server.closeAllConnections(); });
        await Promise.all(started.map((c) => c.server.stop()));
        fs.rmSync(workDir, { recursive: true, force: true });
    };
    try {
        await listenOn(api.server, opts.port ?? 8080, host);
        api.setUnavailable("the inference components are starting");
        const files = listArchiveEntries(modelDir).filter((e) => e.type === "file").map((e) => e.path);
        const results = await Promise.allSettled(manifest.models.map(async (m) => {
            const c = await startComponent(modelDir, manifest, files, m.name, path.join(workDir, m.name), opts, (l) => log(`${m.name} | ${l}`));
            started.push(c);
        }));
        const failed = results.map((r, i) => (r.status === "rejected" ? `${manifest.models[i].name}: ${(r.reason as Error).message}` : undefined)).filter(Boolean);
        if (failed.length > 0) throw new Error(`inference component(s) failed to start:\n  ${failed.join("\n  ")}`);
        started.sort((a, b) => manifest.models.findIndex((m) => m.name === a.model) - manifest.models.findIndex((m) => m.name === b.model));
        for (const c of started) routes[c.name] = () => c.server.url;
        const exited = Promise.race(started.map((c) => c.server.exited.then((e) => {
            if (!stopped) api.setUnavailable(`the model server of inference component ${c.name} exited (code ${e.code}, signal ${e.signal})`);
            return e;
        })));
        api.setUnavailable(undefined);
        const port = (api.server.address() as AddressInfo).port;
        const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
        return {
            url: `${endpoint}/endpoints/${endpointName}/invocations`, endpoint, endpointName, port, workDir,
            inferenceComponents: Object.fromEntries(started.map((c) => [c.model, c.name])),
            components: started, exited, forwarded: () => api.forwarded, stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}
