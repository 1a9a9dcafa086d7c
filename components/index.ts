/** Barrel: the deployment program's modules. */
export * from "./artifactBucket";
export * from "./config";
export * from "./containerEnv";
export * from "./deployChecks";
export * from "./executionRole";
export * from "./gpuModelEndpoint";
export * from "./imageUri";
export * from "./instanceTypes";
export * from "./names";
export * from "./policy";
export * from "./settings";
export * from "./modelArchive";
export * from "./modelDir";
export * from "./manifest";
