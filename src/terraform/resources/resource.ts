// ResourceType: what the provider needs to know about one resource type. The provider decodes and
// encodes values, checks replacement and turns errors into diagnostics; a resource type maps the
// protocol calls onto the engine's verbs.
import type { ClusterConnection } from "../../core/kube/client";
import type { ReconcileContext } from "../../core/reconcile/context";
import type { CtyObject } from "../cty";
import type { Diagnostic } from "../diagnostics";
import type { Attributes } from "../schema";

/** CallContext is the engine context of one call plus the provider's cluster settings. */
export interface CallContext extends ReconcileContext {
  /** The cluster from the provider configuration; undefined means $KUBECONFIG or ~/.kube/config. */
  cluster?: ClusterConnection;
  /**
   * The provider's cluster settings are not known yet (they come from a resource created in the same
   * run): what needs the cluster plans as known after apply.
   */
  clusterUnknown?: boolean;
}

/** Stored is a resource's state and its private bytes (which Terraform keeps and echoes, unread). */
export interface Stored {
  state: CtyObject;
  private?: Buffer;
}

/** PlanInput is a PlanResourceChange for a create or an update. */
export interface PlanInput {
  prior: CtyObject | null;
  priorPrivate?: Buffer;
  /** The configuration merged with the prior state: unset computed attributes hold their prior values. */
  proposed: CtyObject;
  config: CtyObject;
}

/** ApplyInput is an ApplyResourceChange for a create or an update. */
export interface ApplyInput {
  prior: CtyObject | null;
  planned: CtyObject;
  plannedPrivate?: Buffer;
  config: CtyObject;
}

/**
 * ApplyFailure is an apply that changed something and then failed: Terraform records `stored` (so nothing
 * is orphaned) and shows the error.
 */
export class ApplyFailure extends Error {
  constructor(
    readonly stored: Stored,
    override readonly cause: unknown,
  ) {
    super("apply failed");
  }
}

/** ResourceType is one `fluxiac_<kind>` resource. */
export interface ResourceType {
  typeName: string;
  /** The Flux kind, for messages. */
  kind: string;
  description: string;
  /** Every attribute, configured and computed; `replace` marks those whose change replaces the object. */
  attributes: Attributes;
  /** validate checks a configuration whose values may still be unknown. */
  validate(config: CtyObject): Diagnostic[];
  plan(input: PlanInput, ctx: CallContext): Promise<Stored>;
  apply(input: ApplyInput, ctx: CallContext): Promise<Stored>;
  /** destroy deletes what the resource owns (planned state null). */
  destroy(prior: CtyObject, priorPrivate: Buffer | undefined, ctx: CallContext): Promise<void>;
  /** read refreshes the state; null when the object is gone. */
  read(state: CtyObject, priv: Buffer | undefined, ctx: CallContext): Promise<Stored | null>;
  /** importState builds the state of an existing object from its import id. */
  importState(id: string, ctx: CallContext): Promise<Stored>;
}
