// The provider configuration block `fluxiac`: the cluster, with the names of @cdktf/provider-kubernetes's
// KubernetesProvider, plus config_raw (kubeconfig content), store_dir (the artifact store) and
// default_service_account (Flux's --default-service-account).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import type { ClusterConnection } from "../core/kube/client";
import type { CtyObject } from "./cty";
import { error, type Diagnostic } from "./diagnostics";
import { bool, str, type Attributes } from "./schema";

/** providerAttributes are the provider block's attributes. */
export const providerAttributes: Attributes = {
  config_path: str("Path of a kubeconfig file. Default: $KUBECONFIG or ~/.kube/config."),
  config_context: str("kubeconfig context to use. Default: the current context."),
  config_raw: str("kubeconfig content (YAML), instead of config_path.", { optional: true, sensitive: true }),
  host: str("API server URL, with token or client_certificate/client_key, instead of a kubeconfig."),
  token: str("Bearer token for host.", { optional: true, sensitive: true }),
  cluster_ca_certificate: str("PEM CA bundle that signs host's certificate."),
  client_certificate: str("PEM client certificate for host."),
  client_key: str("PEM private key of client_certificate.", { optional: true, sensitive: true }),
  insecure: bool("Skip verification of host's certificate. Default false."),
  store_dir: str("Artifact store directory. Default: $FLUXIAC_CACHE_DIR, else fluxiac's cache directory."),
  default_service_account: str(
    "Service account that a Kustomization or HelmRelease without service_account_name impersonates, in its namespace (Flux's --default-service-account). Default: none, the provider's identity.",
  ),
};

/** ProviderSettings are the configured cluster and store. */
export interface ProviderSettings {
  cluster?: ClusterConnection;
  storeDir?: string;
  /** The configuration holds values not known until apply. */
  unknown?: boolean;
}

/** validateProviderConfig reports settings that contradict each other. */
export function validateProviderConfig(c: CtyObject): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const sources = ["config_path", "config_raw", "host"].filter((k) => c[k] !== null && c[k] !== undefined);
  if (sources.length > 1) problems.push(error(`the fluxiac provider takes one of config_path, config_raw or host, not ${sources.join(" and ")}`, "", sources[1]));
  if (c.host === null && (c.token !== null || c.client_certificate !== null)) problems.push(error("token and client_certificate need host", "", c.token !== null ? "token" : "client_certificate"));
  if ((c.client_certificate === null) !== (c.client_key === null)) problems.push(error("client_certificate and client_key go together", "", "client_key"));
  return problems;
}

/** providerSettings turns the configuration into a cluster connection (a kubeconfig in memory). */
export function providerSettings(c: CtyObject): ProviderSettings {
  const s = (k: string) => (typeof c[k] === "string" ? (c[k] as string) : undefined);
  const storeDir = s("store_dir");
  // host makes a kubeconfig of one context, so config_context applies to kubeconfig files and content only.
  const context = s("host") ? undefined : s("config_context");
  let kubeconfig: string | undefined;
  if (s("config_raw")) kubeconfig = s("config_raw");
  else if (s("config_path")) kubeconfig = readFileSync(s("config_path")!.replace(/^~(?=\/|$)/, homedir()), "utf8");
  else if (s("host")) kubeconfig = hostKubeconfig(s("host")!, c);
  const defaultServiceAccount = s("default_service_account");
  return { cluster: kubeconfig || context || defaultServiceAccount ? { kubeconfig, context, defaultServiceAccount } : undefined, storeDir };
}

/** hostKubeconfig writes host, token and certificates as a one-context kubeconfig (JSON is YAML). */
function hostKubeconfig(host: string, c: CtyObject): string {
  const b64 = (k: string) => (typeof c[k] === "string" ? Buffer.from(c[k] as string).toString("base64") : undefined);
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fluxiac", cluster: { server: host, "certificate-authority-data": b64("cluster_ca_certificate"), "insecure-skip-tls-verify": c.insecure === true || undefined } }],
    users: [{ name: "fluxiac", user: { token: c.token ?? undefined, "client-certificate-data": b64("client_certificate"), "client-key-data": b64("client_key") } }],
    contexts: [{ name: "fluxiac", context: { cluster: "fluxiac", user: "fluxiac" } }],
    "current-context": "fluxiac",
  });
}
