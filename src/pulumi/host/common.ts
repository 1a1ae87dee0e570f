// What every kind's provider-side code shares: Pulumi's unknown marker, the engine context and error
// shaping. Nothing here knows a kind.
import { isDeepStrictEqual } from "node:util";
import { FluxiacError, errorMessage } from "../../core/errors";
import type { ClusterConnection } from "../../core/kube/client";
import type { Logger } from "../../core/log";
import { defaultContext, type ReconcileContext } from "../../core/reconcile/context";

/** Props are a dynamic resource's inputs or outputs, as Pulumi hands them over. */
export type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** UNKNOWN is the value Pulumi's Node runtime uses for outputs that are not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** hasUnknowns reports whether any nested input is still unknown (preview before its producer exists). */
export function hasUnknowns(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknowns);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknowns);
  return false;
}

const providerLog: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: (m) => {
    if (process.env.FLUXIAC_DEBUG) process.stderr.write(`${m}\n`);
  },
};

/** context is the engine context of a provider call: the default store, logging to stderr. */
export function context(): ReconcileContext {
  return defaultContext({ log: providerLog });
}

/**
 * rethrow keeps FluxiacErrors as they are and names the object on anything else. Pulumi's provider host
 * prints `${err}: ${err.stack}`; the message already says what to do, so the stack is kept only with
 * FLUXIAC_DEBUG.
 */
export function rethrow(kind: string, name: string, err: unknown): never {
  const e = err instanceof FluxiacError ? err : new FluxiacError({ kind, name }, "ApplyFailed", errorMessage(err));
  if (!process.env.FLUXIAC_DEBUG) e.stack = "";
  throw e;
}

/** changedFields lists the fields whose values differ between the old and new inputs. */
export function changedFields(olds: Props, news: Props, fields: string[]): string[] {
  return fields.filter((k) => !isDeepStrictEqual(olds[k] ?? null, news[k] ?? null));
}

/** ownUnknowns reports unknown inputs other than dependsOn: a dependency being updated does not hide this plan. */
export function ownUnknowns(p: Props): boolean {
  const { dependsOn: _dependsOn, ...own } = p;
  return hasUnknowns(own);
}

/**
 * initFailed throws the error shape Pulumi's Node dynamic-provider host sends as ErrorResourceInitFailed
 * (an error with `id`, `properties` and `reasons`): the engine records the resource with these outputs
 * (what is in the cluster now) and marks the update failed, so the next up converges and destroy cleans
 * up. The properties must keep the inputs' __provider, which the engine needs to call delete.
 */
export function initFailed(id: string, properties: Props, message: string): never {
  const failure = Object.assign(new Error(message), { id, properties, reasons: [message] });
  if (!process.env.FLUXIAC_DEBUG) failure.stack = "";
  throw failure;
}

/** clusterOf is the management cluster connection in a resource's props (Pulumi sends unset inputs as null). */
export function clusterOf(p: Props): ClusterConnection {
  return { kubeconfig: p.kubeconfig ?? undefined, context: p.context ?? undefined, defaultServiceAccount: p.defaultServiceAccount ?? undefined };
}
