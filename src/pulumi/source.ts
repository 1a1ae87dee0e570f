// What every source component shares: the dynamic resource behind it, secrets, and the reference that
// consumers (Kustomization, HelmChart, HelmRelease) take as `sourceRef`. The reference carries the
// source's spec, known during preview, and its artifact.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceKind, SourceReference } from "../core/reconcile/source-reference";

/** SourceResource is a source component of one of the given kinds, e.g. `SourceResource<"GitRepository">`. */
export interface SourceResource<K extends SourceKind = SourceKind> {
  /** sourceReference is what consumers receive: kind, name, spec and the resolved artifact. */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: K }>>;
}

/** TLSArgs are Flux's certSecretRef keys (`ca.crt`, `tls.crt`, `tls.key`) as PEM values. Stored as secrets. */
export interface TLSArgs {
  /** CA bundle that signs the server's certificate. */
  caCert?: pulumi.Input<string>;
  /** Client certificate for mutual TLS. */
  cert?: pulumi.Input<string>;
  /** Private key of the client certificate. */
  key?: pulumi.Input<string>;
}

/** secret marks an optional input as a secret, leaving an absent one absent. */
export function secret<T>(value: pulumi.Input<T> | undefined): pulumi.Output<pulumi.Unwrap<T>> | undefined {
  return value === undefined ? undefined : pulumi.secret(value);
}

/** SourceDynamicResource is the dynamic resource behind a source component, with its own type token. */
class SourceDynamicResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact>;

  constructor(kind: SourceKind, provider: pulumi.dynamic.ResourceProvider, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(provider, name, props, opts, "source", kind);
  }

  /** output reads another output the provider records beside the artifact. */
  output<T>(key: string): pulumi.Output<T> {
    return (this as unknown as Record<string, pulumi.Output<T>>)[key];
  }
}

/** SourceRegistration is what registerSource returns to a component. */
export interface SourceRegistration<K extends SourceKind> {
  resource: SourceDynamicResource;
  artifact: pulumi.Output<Artifact>;
  sourceReference: pulumi.Output<Extract<SourceReference, { kind: K }>>;
}

/**
 * registerSource creates a source component's dynamic resource (type `pulumi-nodejs:dynamic/source:<Kind>`)
 * from its spec inputs. `secrets` names the spec fields stored as secret outputs; `outputs` names the
 * outputs the provider records besides the artifact. The spec of the reference comes from the inputs,
 * which are known during preview; only the artifact comes from the provider.
 */
export function registerSource<K extends SourceKind>(
  parent: pulumi.ComponentResource,
  kind: K,
  name: string,
  provider: pulumi.dynamic.ResourceProvider,
  spec: Record<string, unknown>,
  opts: { secrets: string[]; outputs?: string[] },
): SourceRegistration<K> {
  const outputs = Object.fromEntries(["artifact", ...(opts.outputs ?? [])].map((k) => [k, undefined]));
  const resource = new SourceDynamicResource(kind, provider, name, { name, ...spec, ...outputs }, { parent, additionalSecretOutputs: opts.secrets });
  type Ref = Extract<SourceReference, { kind: K }>;
  const sourceReference = pulumi
    .all([pulumi.output(spec), resource.artifact])
    .apply(([specValue, artifact]) => ({ kind, name, spec: specValue, artifact }) as unknown as Ref);
  return { resource, artifact: resource.artifact, sourceReference };
}
