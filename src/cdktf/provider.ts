// FluxiacProvider: the `fluxiac` provider block (source fluxiac/fluxiac) and its cluster settings, which
// are those of @cdktf/provider-kubernetes's KubernetesProvider, so one can be built from the other.
import { TerraformProvider, Token, type IResolvable } from "cdktf";
import type { KubernetesProvider, KubernetesProviderConfig } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import { toTerraformAttributes } from "./attributes";
import { warnLiteralSecrets } from "./validate";

// The provider is released with the package; the constructs ask for exactly their own version.
const { version } = require("../../../package.json") as { version: string };

/** FluxiacProviderConfig is the cluster fluxiac's provider reconciles into and where it keeps artifacts. */
export interface FluxiacProviderConfig {
  /** Path of a kubeconfig file. @default $KUBECONFIG or ~/.kube/config when nothing else is set */
  readonly configPath?: string;
  /** kubeconfig content, instead of a file. Sensitive. */
  readonly configRaw?: string;
  /** kubeconfig context. @default the current context */
  readonly configContext?: string;
  /** API server URL, with token or a client certificate, instead of a kubeconfig. */
  readonly host?: string;
  /** Bearer token. Sensitive. */
  readonly token?: string;
  /** PEM CA bundle of the API server. */
  readonly clusterCaCertificate?: string;
  /** PEM client certificate. */
  readonly clientCertificate?: string;
  /** PEM key of the client certificate. Sensitive. */
  readonly clientKey?: string;
  /** Skip verification of the API server's certificate. @default false */
  readonly insecure?: boolean | IResolvable;
  /** Artifact store directory. @default $FLUXIAC_CACHE_DIR, else fluxiac's cache directory */
  readonly storeDir?: string;
  /**
   * Service account that a Kustomization or HelmRelease without serviceAccountName impersonates, in its
   * namespace (Flux's `--default-service-account`). @default none: the provider's identity
   */
  readonly defaultServiceAccount?: string;
  /** Provider alias, for several clusters in one stack. */
  readonly alias?: string;
}

/** FluxiacProvider is fluxiac's Terraform provider, `fluxiac/fluxiac`, installed by `fluxiac terraform install`. */
export class FluxiacProvider extends TerraformProvider {
  /** tfResourceType is the provider's local name. */
  static readonly tfResourceType = "fluxiac";
  /** providerSource is the provider's source address. */
  static readonly providerSource = "fluxiac/fluxiac";
  /** providerVersion is the version the constructs require: the package's own. */
  static readonly providerVersion = version;

  private readonly config: FluxiacProviderConfig;
  private providerAlias?: string;

  constructor(scope: Construct, id: string, config: FluxiacProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: FluxiacProvider.tfResourceType,
      terraformGeneratorMetadata: { providerName: "fluxiac", providerVersion: version },
      terraformProviderSource: FluxiacProvider.providerSource,
    });
    this.config = config;
    this.providerAlias = config.alias;
    warnLiteralSecrets(this, { kind: "FluxiacProvider", name: id }, config, ["token", "clientKey", "configRaw"]);
  }

  /**
   * fromKubernetesProvider creates a FluxiacProvider for the cluster a KubernetesProvider (or its
   * config) points at. Settings fluxiac's provider lacks (exec plugins, basic auth, several config
   * paths) are refused, naming the setting.
   */
  static fromKubernetesProvider(scope: Construct, id: string, kubernetes: KubernetesProvider | KubernetesProviderConfig, extra: Pick<FluxiacProviderConfig, "storeDir" | "defaultServiceAccount"> = {}): FluxiacProvider {
    return new FluxiacProvider(scope, id, { ...kubernetesConfig(kubernetes), alias: kubernetes.alias, ...extra });
  }

  /** alias tells several fluxiac providers of one stack apart. */
  override get alias(): string | undefined {
    return this.providerAlias;
  }

  override set alias(value: string | undefined) {
    this.providerAlias = value;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const { alias: _alias, ...settings } = this.config;
    return toTerraformAttributes(settings);
  }
}

const UNSUPPORTED: (keyof KubernetesProviderConfig)[] = ["exec", "username", "password", "configContextAuthInfo", "configContextCluster", "proxyUrl", "tlsServerName"];

/**
 * kubernetesConfig maps a KubernetesProvider's (or its config's) cluster settings onto fluxiac's
 * provider configuration. `configPaths` with one entry becomes configPath; ignoreLabels and
 * ignoreAnnotations do not apply to fluxiac and are left out.
 */
export function kubernetesConfig(kubernetes: KubernetesProvider | KubernetesProviderConfig): FluxiacProviderConfig {
  const k = kubernetes as KubernetesProviderConfig;
  const set = UNSUPPORTED.filter((key) => isSet(k[key]));
  if (set.length) {
    throw new Error(`FluxiacProvider: the KubernetesProvider sets ${set.join(", ")}, which fluxiac's provider does not support: use a kubeconfig (configPath) or host with token or a client certificate`);
  }
  const paths = k.configPaths;
  if (paths !== undefined && !Token.isUnresolved(paths) && paths.length > 1) {
    throw new Error("FluxiacProvider: the KubernetesProvider sets several configPaths; fluxiac's provider takes one: set configPath");
  }
  return {
    configPath: k.configPath ?? paths?.[0],
    configContext: k.configContext,
    host: k.host,
    token: k.token,
    clusterCaCertificate: k.clusterCaCertificate,
    clientCertificate: k.clientCertificate,
    clientKey: k.clientKey,
    insecure: k.insecure,
  };
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}
