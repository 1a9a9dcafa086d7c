/** Barrel: the deployment program's modules. */
// Cloud side (issue 2).
export * from "./artifactBucket";
export * from "./config";
export * from "./containerEnv";
export * from "./deployChecks";
export * from "./executionRole";
export * from "./gpuModelEndpoint";
// Topologies.
export * from "./topologyConfig";
export * from "./placement";
export * from "./componentArchives";
export * from "./modelComponent";
export * from "./componentScaling";
export * from "./imageUri";
export * from "./instanceTypes";
export * from "./names";
export * from "./policy";
export * from "./settings";
// Archive and model directory (archive engineer).
export * from "./archiveCache";
export * from "./archiveEntries";
export * from "./archiveProgress";
export * from "./gzipMembers";
export * from "./manifest";
export * from "./modelArchive";
export * from "./modelDir";
export * from "./uncompressedModelData";
