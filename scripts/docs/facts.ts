/**
 * Generated blocks rendered from the facts in data/ (data/dlc-images.json, data/gpu-instances.json) and from
 * the checks that read them, so no version, account, GPU count or memory figure in the docs can drift from
 * what the program uses.
 */
import type { Rendered } from "./blocks";
import { DLC_ACCOUNTS, DLC_REPOSITORY, FRAMEWORK_VERSION_ALIASES, GPU_IMAGE_TAGS } from "../../sagemaker/imageUri";
import { GPU_FAMILIES, gpuInstanceInfo } from "../../sagemaker/instanceTypes";
import { checkMemoryBudget, formatBytes, HEADROOM_FRACTION } from "../../sagemaker/checks/memoryBudget";
import { checkPlacement } from "../../sagemaker/checks/placement";
import { parseTopologySettings } from "../../config/topologyConfig";

const P = "gpu-multi-model-endpoint";
const MANIFEST = "model-src/models.json";
const GIB = 1024 ** 3;
const code = (s: string) => `\`${s}\``;

/** Versions, aliases, Python and tags, then the registry account of every region. */
export function dlcImagesTable(): Rendered {
    const aliasOf = (v: string) => Object.entries(FRAMEWORK_VERSION_ALIASES).find(([, full]) => full === v)?.[0];
    const rows = Object.entries(GPU_IMAGE_TAGS).flatMap(([v, pys]) =>
        Object.entries(pys).map(([py, tag]) => `| ${v} | ${aliasOf(v) ?? ""} | ${py} | ${code(tag)} |`));
    const byAccount = new Map<string, string[]>();
    for (const region of Object.keys(DLC_ACCOUNTS).sort()) byAccount.set(DLC_ACCOUNTS[region], [...(byAccount.get(DLC_ACCOUNTS[region]) ?? []), region]);
    const imageless = Object.entries(FRAMEWORK_VERSION_ALIASES).filter(([, full]) => !GPU_IMAGE_TAGS[full]).map(([a, full]) => `${a} (${full})`);
    return { text: [`Image: ${code(`<account>.dkr.ecr.<region>.<amazonaws.com | amazonaws.com.cn>/${DLC_REPOSITORY}:<tag>`)}.`, "",
        "| frameworkVersion | alias | pythonVersion | tag |", "|---|---|---|---|", ...rows, "",
        ...(imageless.length ? [`Known aliases without a GPU inference image here: ${imageless.join(", ")}; set \`image\` to a URI for them.`, ""] : []),
        "| region(s) | registry account |", "|---|---|", ...[...byAccount].map(([account, regions]) => `| ${regions.join(", ")} | ${account} |`)].join("\n") };
}

/** GPU count per size, memory per GPU and what the preview's memory check counts as usable. */
export function gpuInstancesTable(): Rendered {
    const rows = GPU_FAMILIES.map((f) => {
        const bySize = new Map<number, string[]>();
        for (const [size, n] of Object.entries(f.gpusBySize)) bySize.set(n, [...(bySize.get(n) ?? []), size]);
        const sizes = [...bySize].map(([n, s]) => `${n} (${s.join(", ")})`).join("; ");
        return `| ml.${f.family} | ${f.gpu} | ${sizes} | ${f.memoryPerGpu} | ${formatBytes(f.memoryPerGpuBytes * (1 - HEADROOM_FRACTION))} | ${f.instanceStorage ? "yes" : "no"} |`;
    });
    return { text: ["| family | GPU | GPUs (sizes) | memory per GPU | usable per GPU (memory check) | local NVMe |", "|---|---|---|---|---:|---|", ...rows].join("\n") };
}

/** The memory check's warning for four BERT-size models (2 GiB pinned + 3 x 4 GiB) on ml.g4dn.xlarge. */
export function memoryWarningExample(): Rendered {
    const bert = (name: string, gib: number, pinned = false) => ({ name, framework: "pytorch" as const, memoryBytes: gib * GIB, pinned });
    const r = checkMemoryBudget({ project: P, manifestPath: MANIFEST, gpu: gpuInstanceInfo("ml.g4dn.xlarge")!, modelServerWorkers: 1, modelCache: {},
        models: [bert("bert-a", 2, true), bert("bert-b", 4), bert("bert-c", 4), bert("bert-d", 4)] });
    return { text: ["```text", ...r.warnings, "```"].join("\n") };
}

/** The placement check's errors for a 30 GiB model on ml.g5.12xlarge and two 1-GPU models on one ml.g4dn.xlarge. */
export function placementExample(): Rendered {
    const components = parseTopologySettings({ topology: "components" }, P).topology.components!;
    const model = (name: string, memoryBytes: number) => ({ name, framework: "pytorch" as const, path: `${name}/model.pt`, task: "t", labels: ["a"], memoryBytes });
    const check = (instanceType: string, models: ReturnType<typeof model>[]) =>
        checkPlacement({ project: P, manifestPath: MANIFEST, models, gpu: gpuInstanceInfo(instanceType)!, components }).errors;
    return { text: ["```text", ...check("ml.g5.12xlarge", [model("bert", 30 * GIB)]),
        ...check("ml.g4dn.xlarge", [model("a", 100 * 1024 * 1024), model("b", 100 * 1024 * 1024)]), "```"].join("\n") };
}

export const FACT_GENERATORS = {
    "dlc-images": { render: async () => dlcImagesTable() },
    "gpu-instances": { render: async () => gpuInstancesTable() },
    "memory-warning-example": { render: async () => memoryWarningExample() },
    "placement-example": { render: async () => placementExample() },
};
