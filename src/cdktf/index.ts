// fluxiac/cdktf: Flux's kinds as CDKTF constructs of fluxiac's own Terraform provider (fluxiac/fluxiac).
export { snakeCase, toTerraformAttributes } from "./attributes";
export { BootstrapGit, BootstrapGitPlanAttribute, BootstrapGitSyncAttribute, type BootstrapGitComponentsProps, type BootstrapGitProps } from "./bootstrap-git";
export { Bucket, type BucketAuthProps, type BucketProps } from "./bucket";
export { GitRepository, type GitAuthProps, type GitRepositoryIncludeProps, type GitRepositoryProps, type GitVerificationProps } from "./git-repository";
export { HelmRelease, HelmReleasePlanAttribute, type HelmReleaseChartProps, type HelmReleaseProps } from "./helm-release";
export { HelmRepository, type HelmRepositoryAuthProps, type HelmRepositoryProps } from "./helm-repository";
export {
  Kustomization,
  KustomizationHealthAttribute,
  KustomizationPlanAttribute,
  type KustomizationDecryptionProps,
  type KustomizationPostBuildProps,
  type KustomizationProps,
} from "./kustomization";
export { OCIRepository, type OCIAuthProps, type OCIRepositoryProps } from "./oci-repository";
export { FluxiacProvider, kubernetesConfig, type FluxiacProviderConfig } from "./provider";
export { FluxiacResource, type FluxiacMetaArguments, type ObjectProps } from "./resource";
export { ArtifactAttribute, SourceResource, type ISource, type TLSProps } from "./source";
export { fluxiacSynth, hasFluxiacResource, referenceOf, synthFluxiac, synthStack, type FluxiacResourceType, type FluxiacSynth, type TerraformConfig } from "./testing";
