// Typed errors of the core engine. Every error names the object it is about and says what to do.

/** Reason classifies a failure the way Flux's conditions do. */
export type Reason =
  | "ValidationFailed"
  | "GitOperationFailed"
  | "BucketOperationFailed"
  | "OCIOperationFailed"
  | "AuthenticationFailed"
  | "RefNotFound"
  | "FetchFailed"
  | "ChartNotFound"
  | "ArtifactFailed"
  | "VerificationFailed"
  | "IncludeUnavailable"
  | "BuildFailed"
  | "ApplyFailed"
  | "PruneFailed"
  | "DeleteFailed"
  | "HealthCheckFailed"
  | "InstallFailed"
  | "UpgradeFailed"
  | "UninstallFailed"
  | "DependencyNotReady"
  | "ClusterUnavailable"
  /** A Helm release is pending (another helm operation may still run on it). */
  | "ReleaseLocked"
  /** The run was interrupted (Ctrl-C, Terraform's StopProvider) while the engine waited. */
  | "Cancelled";

/** ObjectRef names the fluxiac object an error is about, e.g. `GitRepository "apps"`. */
export interface ObjectRef {
  kind: string;
  name: string;
}

/** FluxiacError is the single error type of the core: `<Kind> "<name>": <message>`. */
export class FluxiacError extends Error {
  readonly reason: Reason;
  readonly object: ObjectRef;

  constructor(object: ObjectRef, reason: Reason, message: string, options?: { cause?: unknown }) {
    super(`${object.kind} "${object.name}": ${message}`, options);
    this.name = "FluxiacError";
    this.reason = reason;
    this.object = object;
  }
}

/**
 * PartialFailureError reports a reconcile that changed the cluster and then failed: objects were applied
 * but are unhealthy, or a later stage failed. `state` is what must be recorded so that nothing is
 * orphaned (for a Kustomization: the inventory of what was applied and the revision). Front-ends record
 * it as the resource's state and still report the failure; the next reconcile converges from there.
 */
export class PartialFailureError<S = unknown> extends FluxiacError {
  readonly state: S;

  constructor(object: ObjectRef, reason: Reason, message: string, state: S, options?: { cause?: unknown }) {
    super(object, reason, message, options);
    this.name = "PartialFailureError";
    this.state = state;
  }
}

/**
 * digestMismatch is the error of a consumer that fetched a recorded revision again and got other bytes:
 * never a silent re-resolve. `subject` names what was fetched ("revision main@sha1:…"), `produced` says
 * what came back, `cause` what most likely changed.
 */
export function digestMismatch(object: ObjectRef, subject: string, recorded: string, produced: string, cause: string): FluxiacError {
  return new FluxiacError(
    object,
    "ArtifactFailed",
    `digest mismatch for ${subject}: state has ${recorded}, ${produced}; ${cause}. Run \`pulumi up\` (or refresh) to record the new artifact`,
  );
}

/** errorMessage returns the message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
