// Which cluster and identity a Kustomization applies with: a kubeConfig Secret for a remote cluster,
// and serviceAccountName impersonation (Flux's spec.kubeConfig and spec.serviceAccountName, and the
// controller's --default-service-account).
import * as k8s from "@kubernetes/client-node";
import { apiMessage, connect, isNotFound, type ClusterConnection } from "./client";

/** KubeConfigReference is Flux's `spec.kubeConfig`: a Secret in the management cluster holding a kubeconfig. */
export interface KubeConfigReference {
  secretRef: {
    /** Secret name, in the Kustomization's namespace. */
    name: string;
    /** Key of the kubeconfig in the Secret. Default "value", then "value.yaml", as Flux. */
    key?: string;
  };
}

/** ClusterAccess are the Kustomization fields that choose the target cluster and identity. */
export interface ClusterAccess {
  /** Apply to the cluster of this kubeconfig Secret instead of the management cluster. */
  kubeConfig?: KubeConfigReference;
  /** Impersonate `system:serviceaccount:<namespace>:<serviceAccountName>` for every request of the apply. @default the connection's defaultServiceAccount */
  serviceAccountName?: string;
}

/** serviceAccountUser is the user name Kubernetes gives a service account. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** readKubeConfigSecret reads a kubeconfig from a Secret of the management cluster. */
async function readKubeConfigSecret(management: ClusterConnection | undefined, namespace: string, ref: KubeConfigReference): Promise<string> {
  const core = connect(management).config.makeApiClient(k8s.CoreV1Api);
  const where = `Secret ${namespace}/${ref.secretRef.name}`;
  let secret;
  try {
    secret = await core.readNamespacedSecret({ name: ref.secretRef.name, namespace });
  } catch (err) {
    throw new Error(isNotFound(err) ? `kubeConfig.secretRef: ${where} not found; create it or fix kubeConfig.secretRef.name` : `kubeConfig.secretRef: cannot read ${where}: ${apiMessage(err)}`);
  }
  const keys = ref.secretRef.key ? [ref.secretRef.key] : ["value", "value.yaml"];
  const key = keys.find((k) => secret.data?.[k]);
  if (!key) throw new Error(`kubeConfig.secretRef: ${where} has no key ${keys.map((k) => `"${k}"`).join(" or ")}; set kubeConfig.secretRef.key`);
  return Buffer.from(secret.data![key], "base64").toString("utf8");
}

/**
 * resolveCluster returns the connection the apply uses: the management connection, or the kubeconfig
 * of `kubeConfig.secretRef`, impersonating `serviceAccountName`, else the management connection's
 * `defaultServiceAccount` (on the remote cluster too when kubeConfig is set, as Flux does).
 */
export async function resolveCluster(management: ClusterConnection | undefined, namespace: string, access: ClusterAccess): Promise<ClusterConnection> {
  const target: ClusterConnection = access.kubeConfig ? { kubeconfig: await readKubeConfigSecret(management, namespace, access.kubeConfig) } : { ...management };
  delete target.defaultServiceAccount;
  const serviceAccount = access.serviceAccountName || management?.defaultServiceAccount;
  if (serviceAccount) target.impersonate = serviceAccountUser(namespace, serviceAccount);
  return target;
}
