// fluxiac/pulumi: Flux's kinds as Pulumi component resources.
export { GitRepository, type GitRepositoryArgs, type GitAuthArgs, type GitRepositoryIncludeArgs, type GitVerificationArgs } from "./git-repository";
export { Bucket, type BucketArgs, type BucketAuthArgs } from "./bucket";
export { HelmRepository, type HelmRepositoryArgs, type HelmRepositoryAuthArgs } from "./helm-repository";
export { HelmChart, type HelmChartArgs } from "./helm-chart";
export { HelmRelease, type HelmReleaseArgs, type HelmReleaseChartArgs, type HelmReleasePlanOutput } from "./helm-release";
export type { CRDsPolicy, DriftDetection, InstallSpec, Remediation, RollbackSpec, TestSpec, UninstallSpec, UpgradeSpec } from "../core/helm/types";
export type { ValuesReference } from "../core/helm/values";
export type { PostRenderer } from "../core/helm/post-render";
export { OCIRepository, type OCIRepositoryArgs, type OCIAuthArgs } from "./oci-repository";
export {
  Kustomization,
  type KustomizationArgs,
  type KustomizationPlanOutput,
  type KustomizationPostBuildArgs,
  type KustomizationDecryptionArgs,
} from "./kustomization";
export { BootstrapGit, type BootstrapGitArgs, type BootstrapGitComponentsArgs, type BootstrapGitPlanOutput } from "./bootstrap-git";
export type { DeployKeyAlgorithm } from "../core/bootstrap/types";
export type { IgnoreRule, Selector } from "../core/kube/ssa/ignore";
export type { DeletionPolicy } from "../core/reconcile/kustomization";
export type { Artifact, GitRepositoryRef, GitVerificationMode } from "../core/source/git-types";
export type { Inventory, InventoryEntry } from "../core/kube/inventory";
export type { HealthCheckExpr } from "../core/kube/health/cel";
export type { KubeConfigReference } from "../core/kube/remote";
export type { ClusterAccessArgs } from "./cluster-access";
export type { KustomizationHealth, NamespacedObjectKindReference } from "../core/reconcile/kustomization-health";
export type { KustomizationDependency } from "../core/reconcile/depends-on";
export type { SourceResource, TLSArgs } from "./source";
export type { TLSConfig } from "../core/source/tls";
export type { OCILayerSelector, OCIRepositoryRef } from "../core/source/oci-types";
