// OCIRepository: a Pulumi component for Flux's OCIRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { OCILayerSelector, OCIRepositoryRef } from "../core/source/oci-types";
import { ociRepositoryProvider } from "./providers";
import { registerSource, secret, type TLSArgs } from "./source";

/** OCIAuthArgs are registry credentials: a Docker config.json (Flux's secretRef) or username/password. */
export interface OCIAuthArgs {
  /** Content of a Docker config.json; the `auths` entry matching the registry's host[:port] is used. */
  dockerConfigJson?: pulumi.Input<string>;
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
}

/** OCIRepositoryArgs are Flux's OCIRepository fields. */
export interface OCIRepositoryArgs {
  /** `oci://<host>[:port]/<repository>`, without tag or digest. */
  url: pulumi.Input<string>;
  /** What to pull; precedence digest > semver > tag. @default { tag: "latest" } */
  ref?: pulumi.Input<OCIRepositoryRef>;
  /** Which layer holds the content and what to do with it. @default the first layer, extracted */
  layerSelector?: pulumi.Input<OCILayerSelector>;
  /** Only "generic" is supported so far. @default "generic" */
  provider?: pulumi.Input<"generic" | "aws" | "azure" | "gcp">;
  /** Credentials: dockerConfigJson (Flux's secretRef) or username/password. Always stored as secrets. */
  auth?: pulumi.Input<OCIAuthArgs>;
  /** CA bundle and client certificate (Flux's certSecretRef). Always stored as secrets. */
  tls?: pulumi.Input<TLSArgs>;
  /** Talk plain HTTP to the registry. @default false */
  insecure?: pulumi.Input<boolean>;
  /** Timeout of registry operations. @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Extra .sourceignore patterns applied when extracting; any pattern replaces Flux's non-VCS defaults. */
  ignore?: pulumi.Input<string>;
}

/**
 * OCIRepository pulls an OCI artifact into a versioned artifact during preview and up. The ref is resolved
 * with one manifest request (plus the tag list for semver); no layer is downloaded when nothing changed.
 */
export class OCIRepository extends pulumi.ComponentResource {
  /** artifact is the pulled revision (`<tag>@sha256:<hex>`), its digest, size and the manifest annotations. */
  readonly artifact: pulumi.Output<Artifact>;
  /** sourceReference is what consumers such as Kustomization receive (secret when auth or tls is set). */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: "OCIRepository" }>>;

  constructor(name: string, args: OCIRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:OCIRepository", name, {}, opts);
    const { url, ref, layerSelector, provider, insecure, timeout, ignore } = args;
    const spec = { url, ref, layerSelector, provider, auth: secret(args.auth), tls: secret(args.tls), insecure, timeout, ignore };
    const source = registerSource(this, "OCIRepository", name, ociRepositoryProvider, spec, { secrets: ["auth", "tls"] });
    this.artifact = source.artifact;
    this.sourceReference = source.sourceReference;
    this.registerOutputs({ artifact: this.artifact });
  }
}
