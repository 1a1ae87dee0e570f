// What a consumer (Kustomization, HelmChart, HelmRelease) takes as `sourceRef`: any fluxiac source
// component. The reference carries the source's spec (known during preview) and its artifact.
import type * as pulumi from "@pulumi/pulumi";
import type { SourceKind, SourceReference } from "../core/reconcile/source-reference";

/** SourceResource is a source component of one of the given kinds, e.g. `SourceResource<"GitRepository">`. */
export interface SourceResource<K extends SourceKind = SourceKind> {
  /** sourceReference is what consumers receive: kind, name, spec and the resolved artifact. */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: K }>>;
}
