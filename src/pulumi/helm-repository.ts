// HelmRepository: a Pulumi component for Flux's HelmRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { TLSConfig } from "../core/source/tls";
import { helmRepositoryProvider } from "./providers";

/** HelmRepositoryAuthArgs are the repository's basic-auth credentials (Flux's secretRef keys). */
export interface HelmRepositoryAuthArgs {
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
}

/** HelmRepositoryArgs are Flux's HelmRepository fields. */
export interface HelmRepositoryArgs {
  /** `https://` or `http://` URL of a chart repository (serving index.yaml), or `oci://` for an OCI registry. */
  url: pulumi.Input<string>;
  /** "default" (index.yaml) or "oci". @default from the URL's scheme */
  type?: pulumi.Input<"default" | "oci">;
  /** Basic-auth credentials. Always stored as secrets. */
  auth?: pulumi.Input<HelmRepositoryAuthArgs>;
  /** Send the credentials to chart URLs on other hosts than the repository's. @default false */
  passCredentials?: pulumi.Input<boolean>;
  /** CA bundle and client certificate (Flux's certSecretRef). Always stored as secrets. */
  tls?: pulumi.Input<TLSConfig>;
  /** Plain HTTP to an OCI registry. @default false */
  insecure?: pulumi.Input<boolean>;
  /** Timeout of index and chart downloads. @default "60s" */
  timeout?: pulumi.Input<string>;
}

/** HelmRepositoryResource is the dynamic resource behind HelmRepository. */
class HelmRepositoryResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact | undefined>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(helmRepositoryProvider, name, props, opts, "source", "HelmRepository");
  }
}

/**
 * HelmRepository fetches a chart repository's index.yaml during preview and up; its revision is the
 * index's sha256. An `oci://` repository has no artifact (as in Flux): HelmChart pulls from the registry.
 */
export class HelmRepository extends pulumi.ComponentResource {
  /** artifact is the stored normalised index (revision `sha256:<hex>` of the fetched index.yaml); absent for oci. */
  readonly artifact: pulumi.Output<Artifact | undefined>;
  /** sourceReference is what HelmChart receives (secret when auth or tls is set). */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: "HelmRepository" }>>;

  constructor(name: string, args: HelmRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:HelmRepository", name, {}, opts);
    const auth = args.auth === undefined ? undefined : pulumi.secret(args.auth);
    const tls = args.tls === undefined ? undefined : pulumi.secret(args.tls);
    const spec = { url: args.url, type: args.type, auth, passCredentials: args.passCredentials, tls, insecure: args.insecure, timeout: args.timeout };
    const res = new HelmRepositoryResource(name, { name, ...spec, artifact: undefined }, { parent: this, additionalSecretOutputs: ["auth", "tls"] });
    this.artifact = res.artifact;
    // The spec comes from the arguments (known during preview); only the artifact from the provider.
    this.sourceReference = pulumi.all([pulumi.output(spec), res.artifact]).apply(([s, artifact]) => ({
      kind: "HelmRepository" as const,
      name,
      spec: s as Extract<SourceReference, { kind: "HelmRepository" }>["spec"],
      artifact,
    }));
    this.registerOutputs({ artifact: this.artifact });
  }
}
