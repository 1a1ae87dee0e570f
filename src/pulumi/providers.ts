// The dynamic-provider objects Pulumi serializes into state. They stay tiny: each method loads the
// installed fluxiac package by name at run time and calls its host code. Only the kind's name (a
// string) is captured, so `delete` and `read` of old state run the code installed today.
import type * as pulumi from "@pulumi/pulumi";

/* eslint-disable @typescript-eslint/no-require-imports */

/** HostKind names a provider exported by host.ts. */
type HostKind = "gitRepository" | "ociRepository" | "bucket" | "helmRepository" | "helmChart" | "kustomization" | "helmRelease" | "bootstrapGit";

/** hostProvider returns the provider for one kind of host.ts. */
function hostProvider(kind: HostKind): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds, news) => require("fluxiac/pulumi/host")[kind].check(olds, news),
    diff: (id, olds, news) => require("fluxiac/pulumi/host")[kind].diff(id, olds, news),
    create: (inputs) => require("fluxiac/pulumi/host")[kind].create(inputs),
    update: (id, olds, news) => require("fluxiac/pulumi/host")[kind].update(id, olds, news),
    delete: (id, props) => require("fluxiac/pulumi/host")[kind].delete(id, props),
  };
}

/** gitRepositoryProvider is the GitRepository dynamic provider. */
export const gitRepositoryProvider = hostProvider("gitRepository");

/** ociRepositoryProvider is the OCIRepository dynamic provider. */
export const ociRepositoryProvider = hostProvider("ociRepository");

/** bucketProvider is the Bucket dynamic provider. */
export const bucketProvider = hostProvider("bucket");

/** helmRepositoryProvider is the HelmRepository dynamic provider. */
export const helmRepositoryProvider = hostProvider("helmRepository");

/** helmChartProvider is the HelmChart dynamic provider. */
export const helmChartProvider = hostProvider("helmChart");

/** kustomizationProvider is the Kustomization dynamic provider. */
export const kustomizationProvider = hostProvider("kustomization");

/** helmReleaseProvider is the HelmRelease dynamic provider. */
export const helmReleaseProvider = hostProvider("helmRelease");
/** bootstrapGitProvider is the BootstrapGit dynamic provider. */
export const bootstrapGitProvider = hostProvider("bootstrapGit");
