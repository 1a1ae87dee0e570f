// Provider-side code of fluxiac's Pulumi dynamic providers, one module per kind under host/. The
// serialized provider objects in providers.ts `require` this module by package name, so state written
// by one fluxiac version is handled by whatever fluxiac version is installed. It translates Pulumi
// inputs and outputs to engine specs and results, and nothing more.
import "../compile-cache";
export { UNKNOWN, hasUnknowns } from "./host/common";
export { bucket } from "./host/bucket";
export { gitRepository } from "./host/git-repository";
export { helmChart } from "./host/helm-chart";
export { helmRelease } from "./host/helm-release";
export { helmRepository } from "./host/helm-repository";
export { kustomization } from "./host/kustomization";
export { ociRepository } from "./host/oci-repository";
export { bootstrapGit } from "./host/bootstrap-git";
