// The dynamic-provider objects Pulumi serializes into state. They stay tiny: each method loads the
// installed fluxiac package by name at run time and calls its host code. Nothing is captured.
import type * as pulumi from "@pulumi/pulumi";

/* eslint-disable @typescript-eslint/no-require-imports */

/** gitRepositoryProvider is the GitRepository dynamic provider. */
export const gitRepositoryProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => require("fluxiac/pulumi/host").gitRepository.check(olds, news),
  diff: (id, olds, news) => require("fluxiac/pulumi/host").gitRepository.diff(id, olds, news),
  create: (inputs) => require("fluxiac/pulumi/host").gitRepository.create(inputs),
  update: (id, olds, news) => require("fluxiac/pulumi/host").gitRepository.update(id, olds, news),
  delete: (id, props) => require("fluxiac/pulumi/host").gitRepository.delete(id, props),
};

/** kustomizationProvider is the Kustomization dynamic provider. */
export const kustomizationProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => require("fluxiac/pulumi/host").kustomization.check(olds, news),
  diff: (id, olds, news) => require("fluxiac/pulumi/host").kustomization.diff(id, olds, news),
  create: (inputs) => require("fluxiac/pulumi/host").kustomization.create(inputs),
  update: (id, olds, news) => require("fluxiac/pulumi/host").kustomization.update(id, olds, news),
  delete: (id, props) => require("fluxiac/pulumi/host").kustomization.delete(id, props),
};
