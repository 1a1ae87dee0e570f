// ReconcileContext: what every engine verb receives from its front-end.
import { ArtifactStore } from "../artifact/store";
import { stderrLogger, type Logger } from "../log";

/** ReconcileContext carries the artifact store, a logger and an optional abort signal. */
export interface ReconcileContext {
  store: ArtifactStore;
  log: Logger;
  signal?: AbortSignal;
}

/** defaultContext uses the default store ($FLUXIAC_CACHE_DIR) and logs to stderr. */
export function defaultContext(overrides: Partial<ReconcileContext> = {}): ReconcileContext {
  return { store: new ArtifactStore(), log: stderrLogger, ...overrides };
}
