// Unlocking a release left pending by a helm that never finished (killed, or its machine lost), as
// helm-controller's Unlock action does: the pending version is marked failed in Helm's storage, so the
// next upgrade can run. helm itself refuses every action on a pending release ("another operation is
// in progress") and has no command to clear it.
import { gunzipSync, gzipSync } from "node:zlib";
import type * as k8s from "@kubernetes/client-node";
import { parseDuration } from "../duration";
import { FluxiacError, type ObjectRef } from "../errors";
import type { ObjectApi } from "../kube/client";
import type { Logger } from "../log";
import type { ReleaseInfo } from "./actions";

/** isPending reports a status of a helm operation that has not finished: pending-install, -upgrade or -rollback. */
export function isPending(status: string | undefined): boolean {
  return !!status?.startsWith("pending-");
}

/**
 * staleSince is how long ago the pending version last changed, or undefined when it is still within
 * timeoutMs of that time, that is, when helm may still be at work on it.
 */
export function staleSince(last: Pick<ReleaseInfo, "updated">, timeoutMs: number, now = Date.now()): number | undefined {
  const updated = last.updated ? Date.parse(last.updated) : NaN;
  const age = now - updated;
  return Number.isFinite(age) && age >= timeoutMs ? age : undefined;
}

/** storageSecretName is the Secret in which Helm 3 stores a release version. */
export function storageSecretName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`;
}

/** decodeRelease reads Helm's stored form: the Secret value is base64 of gzipped JSON (base64 once more on the wire). */
export function decodeRelease(data: string): Record<string, unknown> {
  const stored = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
  return JSON.parse(gunzipSync(stored).toString("utf8")) as Record<string, unknown>;
}

/** encodeRelease is decodeRelease's inverse. */
export function encodeRelease(release: Record<string, unknown>): string {
  return Buffer.from(gzipSync(JSON.stringify(release)).toString("base64")).toString("base64");
}

/**
 * unlockRelease marks the pending version `last` of release failed, with helm-controller's description
 * "Release unlocked from stale '<status>' state". The replace carries the Secret's resourceVersion, so a
 * helm that finishes meanwhile wins and the unlock fails instead of overwriting its result.
 */
export async function unlockRelease(api: ObjectApi, release: string, namespace: string, last: ReleaseInfo): Promise<void> {
  const name = storageSecretName(release, last.revision);
  const secret = await api.read<k8s.V1Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } });
  const stored = secret.data?.release;
  if (!stored) throw new Error(`Secret ${namespace}/${name} holds no Helm release`);
  const rel = decodeRelease(stored);
  const info = (rel.info ?? {}) as Record<string, unknown>;
  if (info.status !== last.status) throw new Error(`release ${namespace}/${release} version ${last.revision} is ${String(info.status)} now, no longer ${last.status}`);
  rel.info = { ...info, status: "failed", description: `Release unlocked from stale '${last.status}' state` };
  await api.replace<k8s.V1Secret>({
    ...secret,
    apiVersion: "v1",
    kind: "Secret",
    metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, status: "failed" } },
    data: { ...secret.data, release: encodeRelease(rel) },
  });
}

/**
 * unlockIfStale unlocks the pending last version of release once it is older than timeout (the
 * HelmRelease's, 5m by default: no helm of this release waits longer), and otherwise fails with
 * reason ReleaseLocked, leaving the release alone: another helm may still be at work on it.
 */
export async function unlockIfStale(
  object: ObjectRef,
  api: ObjectApi,
  target: { release: string; namespace: string },
  last: ReleaseInfo,
  timeout: string | undefined,
  log: Logger,
): Promise<void> {
  const where = `release ${target.namespace}/${target.release} version ${last.revision}`;
  const age = staleSince(last, parseDuration(timeout ?? "5m", "timeout"));
  if (age === undefined) {
    throw new FluxiacError(
      object,
      "ReleaseLocked",
      `${where} is ${last.status} since ${last.updated ?? "an unknown time"}: another helm operation may still be running on it; let it finish, or run again once it is older than timeout (${timeout ?? "5m"}), when fluxiac unlocks it`,
    );
  }
  await unlockRelease(api, target.release, target.namespace, last);
  log.warn(`HelmRelease "${object.name}": unlocked ${where}, ${last.status} for ${Math.round(age / 1000)}s with no helm finishing it: marked failed`);
}
