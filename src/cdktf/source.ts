// What every source construct shares: the computed artifact and the source reference that consumers
// (Kustomization, later HelmRelease) take as `sourceRef`.
import type { SourceKind } from "../core/reconcile/source-reference";
import { FluxiacResource } from "./resource";

/** TLSProps are Flux's certSecretRef keys (`ca.crt`, `tls.crt`, `tls.key`) as PEM values. Sensitive. */
export interface TLSProps {
  /** CA bundle that signs the server's certificate. */
  readonly caCert?: string;
  /** Client certificate for mutual TLS. */
  readonly cert?: string;
  /** Private key of the client certificate. Pass a sensitive TerraformVariable. */
  readonly key?: string;
}

/** ISource is a source construct of one of the given kinds, e.g. `ISource<"GitRepository">`. */
export interface ISource<K extends SourceKind = SourceKind> {
  /** sourceKind is the Flux kind of the source. */
  readonly sourceKind: K;
  /** sourceReference is the `source_reference` attribute: the JSON that consumers' `source_ref` takes. */
  readonly sourceReference: string;
  /** fqn is the Terraform address, so that consumers depend on the source. */
  readonly fqn: string;
}

/** ArtifactAttribute reads the computed `artifact` object of a source resource. */
export class ArtifactAttribute {
  constructor(private readonly resource: FluxiacResource) {}

  /** revision is Flux's revision string, e.g. `main@sha1:<sha>`. */
  get revision(): string {
    return this.resource.getStringAttribute("artifact.revision");
  }

  /** digest is `sha256:<hex>` of the stored tar.gz. */
  get digest(): string {
    return this.resource.getStringAttribute("artifact.digest");
  }

  /** size is the size of the stored bytes. */
  get size(): number {
    return this.resource.getNumberAttribute("artifact.size");
  }

  /** metadata are extra facts, such as OCI annotations. */
  get metadata(): Record<string, string> {
    return this.resource.getStringMapAttribute("artifact.metadata");
  }
}

/** SourceResource is the base class of the source constructs. */
export abstract class SourceResource<K extends SourceKind> extends FluxiacResource implements ISource<K> {
  abstract readonly sourceKind: K;

  /** artifact is the fetched revision, computed at plan time by the provider. */
  get artifact(): ArtifactAttribute {
    return new ArtifactAttribute(this);
  }

  /** sourceReference is what consumers receive as `source_ref` (sensitive: it carries the spec's credentials). */
  get sourceReference(): string {
    return this.getStringAttribute("source_reference");
  }
}
