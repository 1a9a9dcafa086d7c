/**
 * Pulumi program: read and validate the stack config, build the endpoint, export its outputs.
 * Nothing else happens here (see config/, packaging/ and sagemaker/).
 */
import { loadSettings } from "./config/config";
import { GpuModelEndpoint } from "./sagemaker/gpuModelEndpoint";

const endpoint = new GpuModelEndpoint("gpu-endpoint", { settings: loadSettings() });

export const endpointName = endpoint.endpointName;
export const endpointArn = endpoint.endpointArn;
export const region = endpoint.region;
export const modelDataUrl = endpoint.modelDataUrl;
export const artifactSha256 = endpoint.artifactSha256;
export const imageUri = endpoint.imageUri;
export const executionRoleArn = endpoint.executionRoleArn;
export const variantName = endpoint.variantName;
export const endpointConfigName = endpoint.endpointConfigName;
// Topology components only (router stacks keep exactly the outputs above): model name -> inference component name.
if (endpoint.inferenceComponents) Object.assign(module.exports, { inferenceComponents: endpoint.inferenceComponents });
