// OCIRepository: a Pulumi component for Flux's OCIRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { OCILayerSelector, OCIRepositoryRef } from "../core/source/oci-types";
import { ociRepositoryProvider } from "./providers";

/** OCIAuthArgs are registry credentials: a Docker config.json (Flux's secretRef) or username/password. */
export interface OCIAuthArgs {
  /** Content of a Docker config.json; the `auths` entry matching the registry's host[:port] is used. */
  dockerConfigJson?: pulumi.Input<string>;
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
}

/** OCITLSArgs are Flux's certSecretRef keys: CA bundle and client certificate, PEM. */
export interface OCITLSArgs {
  caCert?: pulumi.Input<string>;
  cert?: pulumi.Input<string>;
  key?: pulumi.Input<string>;
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
  tls?: pulumi.Input<OCITLSArgs>;
  /** Talk plain HTTP to the registry. @default false */
  insecure?: pulumi.Input<boolean>;
  /** Timeout of registry operations. @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Extra .sourceignore patterns applied when extracting; any pattern replaces Flux's non-VCS defaults. */
  ignore?: pulumi.Input<string>;
}

/** OCIRepositoryResource is the dynamic resource behind OCIRepository. */
class OCIRepositoryResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(ociRepositoryProvider, name, props, opts, "source", "OCIRepository");
  }
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
    const auth = args.auth === undefined ? undefined : pulumi.secret(args.auth);
    const tls = args.tls === undefined ? undefined : pulumi.secret(args.tls);
    const spec = {
      url: args.url,
      ref: args.ref,
      layerSelector: args.layerSelector,
      provider: args.provider,
      auth,
      tls,
      insecure: args.insecure,
      timeout: args.timeout,
      ignore: args.ignore,
    };
    const res = new OCIRepositoryResource(name, { name, ...spec, artifact: undefined }, { parent: this, additionalSecretOutputs: ["auth", "tls"] });
    this.artifact = res.artifact;
    // The spec comes from the arguments (known during preview); only the artifact from the provider.
    this.sourceReference = pulumi.all([pulumi.output(spec), res.artifact]).apply(([s, artifact]) => ({
      kind: "OCIRepository" as const,
      name,
      spec: s as Extract<SourceReference, { kind: "OCIRepository" }>["spec"],
      artifact,
    }));
    this.registerOutputs({ artifact: this.artifact });
  }
}
