/**
 * Network isolation, VPC placement and CodeArtifact for the model container: pure helpers.
 *
 * Facts (SageMaker "Run training and inference containers in internet-free mode"; the
 * sagemaker-inference-toolkit's model_server.py):
 * - With EnableNetworkIsolation the container makes no outbound call at all, not even to AWS
 *   services, and gets no AWS credentials.
 * - At start the toolkit runs `pip install -r /opt/ml/model/code/requirements.txt` when the file
 *   exists; with CA_REPOSITORY_ARN set it first calls CodeArtifact (GetAuthorizationToken,
 *   GetRepositoryEndpoint) with the execution role and installs from that index.
 * So under isolation requirements.txt must install offline, and CA_REPOSITORY_ARN must not be set.
 */
import type * as aws from "@pulumi/aws";
import type { PolicyStatement } from "./policy";
import { keyNamer } from "../config/names";

export type { PolicyStatement } from "./policy";

/** Same shape the inference toolkit parses CA_REPOSITORY_ARN with, with CodeArtifact's name rules. */
export const CODEARTIFACT_REPOSITORY_ARN =
    /^arn:(aws|aws-cn|aws-us-gov):codeartifact:([a-z0-9-]+):(\d{12}):repository\/([a-z][a-z0-9-]{0,48}[a-z0-9])\/([A-Za-z0-9][A-Za-z0-9._-]{1,99})$/;

export interface IsolationArgs {
    /** VPC subnets of the model containers (config key `vpcSubnetIds`; limits: config/schema.ts). @default [] */
    vpcSubnetIds: string[];
    /** Security groups of the model containers (config key `vpcSecurityGroupIds`, set with subnets; limits: config/schema.ts). @default [] */
    vpcSecurityGroupIds: string[];
    /** No outbound network and no credentials in the container (config.ts `enableNetworkIsolation`). @default false */
    enableNetworkIsolation: boolean;
    /** CA_REPOSITORY_ARN for pip; conflicts with enableNetworkIsolation (see productionConfig). @default undefined */
    codeArtifactRepositoryArn?: string;
}

export interface IsolationInputs {
    /** Model `vpcConfig`, or undefined when no subnets are given. */
    vpcConfig?: aws.types.input.sagemaker.ModelVpcConfig;
    /** Model `enableNetworkIsolation`. */
    enableNetworkIsolation: boolean;
    /** Extra primary-container environment (CA_REPOSITORY_ARN), merged into the program's. */
    environment: Record<string, string>;
}

/** Pure: the Model inputs for isolation and the container environment for CodeArtifact. */
export function buildIsolation(args: IsolationArgs): IsolationInputs {
    const vpc = args.vpcSubnetIds.length > 0 && args.vpcSecurityGroupIds.length > 0;
    return {
        vpcConfig: vpc ? { subnets: [...args.vpcSubnetIds], securityGroupIds: [...args.vpcSecurityGroupIds] } : undefined,
        enableNetworkIsolation: args.enableNetworkIsolation,
        environment: args.codeArtifactRepositoryArn ? { CA_REPOSITORY_ARN: args.codeArtifactRepositoryArn } : {},
    };
}

/**
 * Pure: whether `pip install -r` of this requirements.txt text needs the network. False for a file
 * with no requirement (blank lines and comments only) or one that sets `--no-index` (wheels vendored
 * with `--find-links`); true otherwise, including nested `-r`/`-c` files (conservative).
 */
export function requirementsNeedNetwork(text: string | undefined): boolean {
    if (text === undefined) return false;
    let requirements = 0;
    let noIndex = false;
    for (const rawLine of text.split(/\r?\n/)) {
        const line = rawLine.replace(/(^|\s)#.*$/, "").trim();
        if (line === "") continue;
        if (/^--no-index\b/.test(line)) { noIndex = true; continue; }
        if (/^(-f|--find-links|-i|--index-url|--extra-index-url|--trusted-host|--pre|--prefer-binary|--only-binary|--no-binary)\b/.test(line)) continue;
        requirements++;
    }
    return requirements > 0 && !noIndex;
}

/**
 * The error for network isolation with a requirements.txt that downloads packages (text shared by
 * parseProductionSettings and the model-directory check). `requirementsPath` names the file when known.
 */
export function isolationRequirementsError(project: string, requirementsPath = "code/requirements.txt"): string {
    const K = keyNamer(project);
    return `${K("enableNetworkIsolation")}: ${requirementsPath} lists packages to download, but under network isolation the container has no ` +
        `outbound network and no AWS credentials, so pip can reach neither PyPI nor CodeArtifact, and the endpoint never becomes healthy. ` +
        `Either vendor the wheels into code/ and make requirements.txt install offline ("--no-index" and "--find-links /opt/ml/model/code/wheels"), ` +
        `or empty requirements.txt and use an image that has the packages (${K("image")}), or set ${K("enableNetworkIsolation")} false and install ` +
        `from ${K("codeArtifactRepositoryArn")} through a VPC endpoint (${K("vpcSubnetIds")}).`;
}

/** Pure, for the model-directory check: the isolation error for this requirements.txt text, if any. */
export function requirementsIsolationProblem(
    project: string, enableNetworkIsolation: boolean, requirementsText: string | undefined, requirementsPath?: string,
): string | undefined {
    return enableNetworkIsolation && requirementsNeedNetwork(requirementsText) ? isolationRequirementsError(project, requirementsPath) : undefined;
}

/**
 * Pure: what the execution role needs for the toolkit's CodeArtifact login, scoped to the one
 * repository and its domain (plus sts:GetServiceBearerToken, which CodeArtifact tokens require).
 */
export function codeArtifactPolicyStatements(repositoryArn: string): PolicyStatement[] {
    const m = CODEARTIFACT_REPOSITORY_ARN.exec(repositoryArn);
    if (!m) throw new Error(`codeArtifactPolicyStatements: "${repositoryArn}" is not a CodeArtifact repository ARN.`);
    const [, partition, region, account, domain, repository] = m;
    const domainArn = `arn:${partition}:codeartifact:${region}:${account}:domain/${domain}`;
    const repoArn = `arn:${partition}:codeartifact:${region}:${account}:repository/${domain}/${repository}`;
    return [
        { Sid: "CodeArtifactToken", Effect: "Allow", Action: ["codeartifact:GetAuthorizationToken"], Resource: domainArn },
        { Sid: "CodeArtifactRead", Effect: "Allow", Action: ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"], Resource: repoArn },
        { Sid: "CodeArtifactBearerToken", Effect: "Allow", Action: ["sts:GetServiceBearerToken"], Resource: "*",
          Condition: { StringEquals: { "sts:AWSServiceName": "codeartifact.amazonaws.com" } } },
    ];
}
