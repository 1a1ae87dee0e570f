// fluxiac: the core engine. No Pulumi, Terraform or constructs in here.
export * from "./core/errors";
export * from "./core/log";
export * from "./core/duration";
export * from "./core/artifact/digest";
export * from "./core/artifact/store";
export { pack, extract, UnsafeArchiveError } from "./core/artifact/archive";
export * from "./core/source/git-types";
export * from "./core/reconcile/context";
export * from "./core/reconcile/git-repository";
export * from "./core/reconcile/kustomization";
export * from "./core/source/helm-types";
export * from "./core/reconcile/helm-repository";
export * from "./core/reconcile/helm-chart";
export * from "./core/reconcile/source-reference";
export * from "./core/kube/inventory";
export type { ChangeSet, ChangeSetEntry, Action } from "./core/kube/ssa/changeset";
export type { ClusterConnection } from "./core/kube/client";
