// fluxiac/pulumi: Flux's kinds as Pulumi component resources.
export { GitRepository, type GitRepositoryArgs, type GitAuthArgs, type GitRepositoryIncludeArgs, type GitVerificationArgs } from "./git-repository";
export { Kustomization, type KustomizationArgs, type KustomizationPlanOutput } from "./kustomization";
export type { Artifact, GitRepositoryRef, GitVerificationMode } from "../core/source/git-types";
export type { Inventory, InventoryEntry } from "../core/kube/inventory";
export type { SourceResource } from "./source";
export type { TLSConfig } from "../core/source/tls";
