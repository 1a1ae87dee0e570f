// fluxiac/cdktf: Flux's kinds as CDKTF constructs of fluxiac's own Terraform provider (fluxiac/fluxiac).
// HelmRelease and BootstrapGit join as helm-release.ts and bootstrap-git.ts once their engines land.
export { snakeCase, toTerraformAttributes } from "./attributes";
export { Bucket, type BucketAuthProps, type BucketProps } from "./bucket";
export { GitRepository, type GitAuthProps, type GitRepositoryIncludeProps, type GitRepositoryProps, type GitVerificationProps } from "./git-repository";
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
