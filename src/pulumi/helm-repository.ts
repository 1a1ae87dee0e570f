// HelmRepository: a Pulumi component for Flux's HelmRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import { helmRepositoryProvider } from "./providers";
import { registerSource, secret, type TLSArgs } from "./source";

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
  tls?: pulumi.Input<TLSArgs>;
  /** Plain HTTP to an OCI registry. @default false */
  insecure?: pulumi.Input<boolean>;
  /** Timeout of index and chart downloads. @default "60s" */
  timeout?: pulumi.Input<string>;
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
    const { url, type, passCredentials, insecure, timeout } = args;
    const spec = { url, type, auth: secret(args.auth), passCredentials, tls: secret(args.tls), insecure, timeout };
    const source = registerSource(this, "HelmRepository", name, helmRepositoryProvider, spec, { secrets: ["auth", "tls"] });
    this.artifact = source.artifact as pulumi.Output<Artifact | undefined>;
    this.sourceReference = source.sourceReference;
    this.registerOutputs({ artifact: this.artifact });
  }
}
