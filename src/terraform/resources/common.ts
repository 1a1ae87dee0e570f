// Attribute groups several resources share.
import type { ClusterConnection } from "../../core/kube/client";
import { obj, objList, str, strMap, type Attributes } from "../schema";

/**
 * clusterOf is a resource's cluster connection: its own kubeconfig and context, else the provider's,
 * with the provider's defaultServiceAccount (set only when configured).
 */
export function clusterOf(kubeconfig: unknown, context: unknown, provider: ClusterConnection | undefined): ClusterConnection {
  const cluster: ClusterConnection = { kubeconfig: (kubeconfig as string | null | undefined) ?? provider?.kubeconfig, context: (context as string | null | undefined) ?? provider?.context };
  if (provider?.defaultServiceAccount) cluster.defaultServiceAccount = provider.defaultServiceAccount;
  return cluster;
}

/** tlsAttr is Flux's certSecretRef keys as PEM values (ca.crt, tls.crt, tls.key). Sensitive. */
export const tlsAttr = obj(
  "CA bundle (ca_cert) and client certificate (cert, key) for https:// URLs.",
  { ca_cert: str("PEM CA bundle that signs the server's certificate."), cert: str("PEM client certificate for mutual TLS."), key: str("PEM private key of cert.") },
  { optional: true, sensitive: true },
);

/**
 * clusterAccessAttributes are the per-resource cluster settings a Kustomization and a HelmRelease share:
 * a kubeconfig and context overriding the provider's, Flux's kubeConfig.secretRef for a remote cluster,
 * and serviceAccountName impersonation. `acts` says what the resource does there ("Apply", "Release").
 */
export function clusterAccessAttributes(acts: string): Attributes {
  return {
    kubeconfig: str("kubeconfig content. Default: the provider's cluster.", { optional: true, sensitive: true }),
    context: str("kubeconfig context. Default: the provider's."),
    kube_config: obj(`${acts} into a remote cluster whose kubeconfig is in a Secret of the management cluster, in namespace (Flux's kubeConfig).`, {
      secret_ref: obj("The Secret.", { name: str("Secret name.", { required: true }), key: str('Key of the kubeconfig. Default "value", then "value.yaml".') }, { required: true }),
    }),
    service_account_name: str(`Impersonate system:serviceaccount:<namespace>:<name> for every request. Default: the provider's default_service_account.`),
  };
}

/** commonMetadataAttr is Flux's commonMetadata: labels and annotations set on every object. */
export const commonMetadataAttr = obj("Labels and annotations set on every object.", { labels: strMap("Labels."), annotations: strMap("Annotations.") });

/** selectorAttr is Flux's kustomize.Selector: which objects a patch or an ignore rule targets. */
export const selectorAttr = obj("Which objects: every set field must match (group, version, kind, name and namespace are regular expressions).", {
  group: str("API group."),
  version: str("API version."),
  kind: str("Kind."),
  name: str("Name."),
  namespace: str("Namespace."),
  label_selector: str('Label selector, e.g. "app=web,tier!=db".'),
  annotation_selector: str("Annotation selector, same syntax as label_selector."),
});

/** patchesAttr is Flux's patches (Kustomization, and a HelmRelease's kustomize post-renderer). */
export const patchesAttr = objList("Strategic merge or JSON 6902 patches.", { patch: str("The patch, YAML or JSON.", { required: true }), target: selectorAttr });

/** healthCheckExprsAttr is Flux's healthCheckExprs: CEL health rules for custom kinds (Kustomization, HelmRelease). */
export const healthCheckExprsAttr = objList("CEL health rules for custom kinds.", {
  api_version: str("API group and version of the kind.", { required: true }),
  kind: str("Kind; without it, every kind of the group."),
  current: str("CEL: true when healthy.", { required: true }),
  in_progress: str("CEL: true while progressing."),
  failed: str("CEL: true when failed."),
});
