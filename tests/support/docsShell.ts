/**
 * The docs' shell examples: which commands can run here (no AWS account, no Pulumi CLI) and a static
 * check of the others against what the repository and the tools say (package.json scripts, --help output,
 * Pulumi.yaml keys, stack files, the SDK's operation inputs).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { DescribeEndpointInput } from "@aws-sdk/client-sagemaker";
import type { InvokeEndpointInput } from "@aws-sdk/client-sagemaker-runtime";

const REPO = path.resolve(__dirname, "..", "..");
const SCRIPTS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
const CONFIG_KEYS = Object.keys(parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")).config ?? {});

/** The Pulumi CLI commands the docs may use (no CLI here to ask; each is in Pulumi's CLI reference). */
export const PULUMI_COMMANDS = ["login", "logout", "version", "preview", "up", "destroy", "refresh", "stack init", "stack select",
    "stack output", "stack rm", "config set", "config get", "state unprotect"];
// Members of the SDK inputs (compile-checked names); the CLI flag is the kebab-case name.
const INVOKE: (keyof InvokeEndpointInput)[] = ["EndpointName", "Body", "ContentType", "Accept", "CustomAttributes", "TargetModel",
    "TargetVariant", "TargetContainerHostname", "InferenceId", "EnableExplanations", "InferenceComponentName", "SessionId"];
const DESCRIBE: (keyof DescribeEndpointInput)[] = ["EndpointName"];
const AWS_GLOBAL = ["--region", "--endpoint-url", "--query", "--output", "--profile", "--no-cli-pager"];
const kebab = (s: string) => "--" + s.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
export const AWS_OPERATIONS: Record<string, string[]> = {
    "sagemaker-runtime invoke-endpoint": INVOKE.map(kebab), "sagemaker describe-endpoint": DESCRIBE.map(kebab),
};

/** Shell words of one command line (quotes removed; good enough for the docs' examples). Pure. */
export function words(cmd: string): string[] {
    return [...cmd.matchAll(/'([^']*)'|"((?:\\"|[^"])*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Expands one level of {a,b} in a word. Pure. */
export function expandBraces(word: string): string[] {
    const m = /^(.*)\{([^{}]+)\}(.*)$/.exec(word);
    return m ? m[2].split(",").map((p) => `${m[1]}${p}${m[3]}`) : [word];
}

/** Can this command run here, against `npm start`? Pure (given whether the AWS CLI is installed). */
export function runnable(cmd: string, awsCli: boolean): boolean {
    const w = words(cmd).filter((x, i, all) => !(/^[A-Z_]+=/.test(x) && all.slice(0, i).every((y) => /^[A-Z_]+=/.test(y))));
    if (["echo", "cat", "node"].includes(w[0])) return true;
    if (w[0] === "export") return w[1]?.startsWith("PATH=") ?? false;
    if (w[0] === "npm" && w[1] === "run") return w[2] === "package" || (w[2] === "smoke" && w.includes("--local"));
    return w[0] === "aws" && w[1] === "sagemaker-runtime" && awsCli;
}

export interface HelpSource { help(kind: "npm" | "file", target: string): Promise<string> }

const flagsOf = (w: string[]) => w.filter((x) => /^--[a-z]/.test(x)).map((x) => x.split("=")[0]);
const missingFlags = (flags: string[], help: string) => flags.filter((f) => !new RegExp(`(^|[\\s\\[(,|])${f.replace(/-/g, "\\-")}(?![\\w-])`).test(help));
const exists = (p: string) => fs.existsSync(path.join(REPO, p));

/** Problems of one command that is not run here; [] when it checks out. */
export async function staticProblems(cmd: string, help: HelpSource): Promise<string[]> {
    const all = words(cmd);
    const w = all.filter((x, i) => !(/^[A-Z_]+=/.test(x) && all.slice(0, i).every((y) => /^[A-Z_]+=/.test(y))));
    const out: string[] = [];
    const [c, a, b] = w;
    if (c === "npm") {
        if (a === "ci") return exists("package-lock.json") ? [] : ["npm ci without package-lock.json"];
        const script = a === "run" ? b : a;
        if (!SCRIPTS[script]) return [`npm ${a === "run" ? "run " : ""}${script}: no such script in package.json`];
        const rest = w.slice(a === "run" ? 3 : 2);
        if (a !== "run" && rest.length && rest[0] !== "--") return [`npm ${script} takes arguments only after --`];
        return missingFlags(flagsOf(rest), await help.help("npm", script)).map((f) => `npm run ${script}: ${f} is not in its --help`);
    }
    if (c === "npx" && a === "ts-node") {
        const file = w.find((x) => x.endsWith(".ts"))!;
        if (!exists(file)) return [`${file} does not exist`];
        return missingFlags(flagsOf(w.slice(w.indexOf(file) + 1)), await help.help("file", file)).map((f) => `${file}: ${f} is not in its --help`);
    }
    if (c === "npx" && a === "mocha") {
        for (const f of w.filter((x) => x.startsWith("tests/")).flatMap(expandBraces)) if (!exists(f)) out.push(`${f} does not exist`);
        return out;
    }
    if (c === "/usr/bin/python3" && a === "-m" && b === "pytest") {
        for (const f of w.filter((x) => x.startsWith("tests/"))) if (!exists(f)) out.push(`${f} does not exist`);
        return out;
    }
    if (c === "/usr/bin/python3" || c === "bash") {
        if (!exists(a)) return [`${a} does not exist`];
        return missingFlags(flagsOf(w.slice(2)), await help.help("file", a)).map((f) => `${a}: ${f} is not in its --help`);
    }
    if (c === "pulumi") return pulumiProblems(w.slice(1));
    if (c === "aws") {
        const op = AWS_OPERATIONS[`${a} ${b}`];
        if (!op) return [`aws ${a} ${b}: not an operation these docs may use (${Object.keys(AWS_OPERATIONS).join(", ")})`];
        return flagsOf(w).filter((f) => !op.includes(f) && !AWS_GLOBAL.includes(f)).map((f) => `aws ${a} ${b}: ${f} is not a member of the operation's input`);
    }
    if (c === "export" || c === "echo" || c === "cat" || c === "node") return [];
    return [`no check for the command "${c}"`];
}

function pulumiProblems(args: string[]): string[] {
    const out: string[] = [];
    const positional = args.filter((x, i) => !x.startsWith("-") && args[i - 1] !== "--stack" && args[i - 1] !== "-s");
    const sub = PULUMI_COMMANDS.find((p) => positional.slice(0, p.split(" ").length).join(" ") === p);
    if (!sub) return [`pulumi ${positional.slice(0, 2).join(" ")}: not a Pulumi command these docs may use`];
    const stack = args.includes("--stack") ? args[args.indexOf("--stack") + 1] : sub === "stack init" || sub === "stack select" ? positional[2] : undefined;
    if (stack && !exists(`Pulumi.${stack}.yaml`)) out.push(`stack ${stack} has no Pulumi.${stack}.yaml`);
    if (sub === "config set") {
        const raw = positional[2] ?? "";
        const key = raw.replace(/^gpu-multi-model-endpoint:/, "").split(/[.[]/)[0];
        if (raw !== "aws:region" && !CONFIG_KEYS.includes(key)) out.push(`pulumi config set ${raw}: not a key declared in Pulumi.yaml`);
    }
    return out;
}
