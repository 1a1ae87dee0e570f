// ClusterAccessArgs: which cluster and identity a Kustomization or HelmRelease acts with, the same
// arguments on both, as the engine's ClusterConnection and ClusterAccess.
import * as pulumi from "@pulumi/pulumi";
import type { KubeConfigReference } from "../core/kube/remote";

/** ClusterAccessArgs choose the cluster (management or remote) and the identity used there. */
export interface ClusterAccessArgs {
  /** kubeconfig file content. Stored as a secret. @default $KUBECONFIG or ~/.kube/config */
  kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context. @default the current context */
  context?: pulumi.Input<string>;
  /**
   * Service account impersonated, in the object's namespace, when serviceAccountName is not set (Flux's
   * controller flag `--default-service-account`). @default none: the kubeconfig user
   */
  defaultServiceAccount?: pulumi.Input<string>;
  /**
   * Flux's kubeConfig: act in a remote cluster whose kubeconfig is in a Secret (key "value", then
   * "value.yaml", unless `key` is set) in `namespace` of the management cluster (`kubeconfig`/`context`).
   * @default the management cluster
   */
  kubeConfig?: pulumi.Input<KubeConfigReference>;
  /** Impersonate `system:serviceaccount:<namespace>:<serviceAccountName>` for every request. @default defaultServiceAccount, else the kubeconfig user */
  serviceAccountName?: pulumi.Input<string>;
}

/** clusterAccessInputs are the dynamic resource's inputs for args; the kubeconfig becomes a secret. */
export function clusterAccessInputs(args: ClusterAccessArgs): pulumi.Inputs {
  return {
    kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
    context: args.context,
    defaultServiceAccount: args.defaultServiceAccount,
    kubeConfig: args.kubeConfig,
    serviceAccountName: args.serviceAccountName,
  };
}
