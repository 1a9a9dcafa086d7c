/**
 * The shape both topologies give the GpuModelEndpoint: what goes on the endpoint configuration, and what is
 * declared once the endpoint exists (the components topology's components) with the stack outputs it yields.
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Replaced Models and configurations are kept: after a rollback SageMaker still runs them (the provider reports a
 * rolled-back update as a success). The GenerationLedger deletes old ones and, on destroy, all of them.
 */
export const RETAIN_REVISIONS = { retainOnDelete: true } as const;

export interface TopologyOutputs {
    /** Router: the archive URL or the files' prefix; components: the prefix of the per-model archives. */
    modelDataUrl: pulumi.Output<string>;
    artifactSha256: pulumi.Output<string>;
    /** Components only: model name -> inference component name. */
    inferenceComponents?: pulumi.Output<Record<string, string>>;
}

export interface Topology {
    /** The endpoint configuration's one production variant. */
    variant: aws.types.input.sagemaker.EndpointConfigurationProductionVariant;
    /** Components: the role SageMaker uses for the configuration's inference components. */
    configExecutionRoleArn?: pulumi.Output<string>;
    /** Router: the generation (its Model and model data) the GenerationLedger keeps. */
    generation?: { model: pulumi.Output<string>; artifact: pulumi.Output<string> };
    /** Declares what needs the endpoint and returns the model-data outputs. */
    afterEndpoint(endpointName: pulumi.Output<string>): TopologyOutputs;
}
