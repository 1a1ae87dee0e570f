// Diff: GET plus server-side dry-run apply per object, in parallel; drift is a semantic difference.
import { isDeepStrictEqual } from "node:util";
import type { PatchStrategy } from "@kubernetes/client-node";
import pLimit from "p-limit";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, isNotFound, objectHeader, statusCode } from "../client";
import { entryOf } from "../inventory";
import type { Action } from "./changeset";
import { FIELD_MANAGER, type ResourceManager } from "./manager";
import { conflictHint } from "./conflict";
import { adoptIgnored, ignoredPaths, withoutPaths, type IgnoreRule } from "./ignore";
import { forcedConflicts, takeoverPatch, type FieldConflict } from "./managed-fields";
import { isForceEnabled, skipReason, ssaPolicy } from "./owner";
import { LiveObjects } from "./live";
import { objectKey } from "./sort";

/** DiffResult is one object's comparison with the cluster. */
export interface DiffResult {
  object: KubeObject;
  subject: string;
  id: string;
  /** created (absent), configured (differs), unchanged, skipped. */
  action: Action;
  /** Top-level paths that differ, for readable previews (e.g. "spec", "metadata.labels"). */
  fields: string[];
  live?: KubeObject;
  /** What the API server says the object becomes when applied (the dry-run result), when it was asked. */
  dryRun?: KubeObject;
  /** The change touches an immutable field and force is on: delete and re-create. */
  recreate?: boolean;
  /** Why the object is skipped (action "skipped"). */
  skipReason?: string;
  /** The merge patch that takes kubectl's fields over before the apply (Flux's cleanup). */
  takeover?: KubeObject;
  /** Fields the forced apply takes from other managers. */
  conflicts?: FieldConflict[];
}

/** DiffOptions tune diffObject and diffAll. */
export interface DiffOptions {
  /** Also dry-run objects that do not exist yet, to surface validation errors in a preview. */
  dryRunCreates: boolean;
  /** Recreate objects whose change touches an immutable field (spec.force). Default false. */
  force?: boolean;
  /** spec.ignore: paths left out of drift detection and adopted from the cluster. */
  ignore?: IgnoreRule[];
}

/** isImmutableError reports an API refusal to change an immutable field. */
export function isImmutableError(err: unknown): boolean {
  return err instanceof ApplyObjectError && err.status === 422 && /immutable|may not change|cannot change/i.test(err.message);
}

/** ApplyObjectError names the object whose dry-run or apply the API server refused. */
export class ApplyObjectError extends Error {
  constructor(readonly subject: string, readonly verb: string, readonly status: number | undefined, message: string) {
    super(`${subject} ${verb} failed: ${message}`);
  }
}

const VOLATILE_METADATA = ["managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink"];

/** comparable strips what the server owns (status, volatile metadata) from an object. */
export function comparable(o: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...body } = o as KubeObject & { status?: unknown };
  const meta: Record<string, unknown> = { ...metadata };
  for (const k of VOLATILE_METADATA) delete meta[k];
  return { ...body, metadata: meta };
}

/** driftedFields lists the top-level fields (and metadata labels/annotations) in which two objects differ. */
export function driftedFields(desired: KubeObject, live: KubeObject): string[] {
  const a = comparable(desired);
  const b = comparable(live);
  const fields: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === "metadata") continue;
    if (!isDeepStrictEqual(a[k], b[k])) fields.push(k);
  }
  const ma = a.metadata as Record<string, unknown>;
  const mb = b.metadata as Record<string, unknown>;
  for (const k of ["labels", "annotations"]) {
    if (!isDeepStrictEqual(ma[k] ?? {}, mb[k] ?? {})) fields.push(`metadata.${k}`);
  }
  return fields;
}

/** dryRunApply asks the API server what a forced server-side apply would produce. */
export async function dryRunApply(m: ResourceManager, obj: KubeObject): Promise<KubeObject> {
  try {
    return (await m.api.patch(obj, undefined, "All", FIELD_MANAGER, true, "application/apply-patch+yaml")) as KubeObject;
  } catch (err) {
    const status = statusCode(err);
    throw new ApplyObjectError(objectKey(obj), "dry-run", status, conflictHint(status, apiMessage(err)));
  }
}

/** dryRunCreate asks the API server whether it would create obj, without reading its answer (see patchWithoutResult). */
async function dryRunCreate(m: ResourceManager, obj: KubeObject): Promise<void> {
  try {
    await m.api.patchWithoutResult(obj, "All", FIELD_MANAGER, true, "application/apply-patch+yaml" as PatchStrategy);
  } catch (err) {
    const status = statusCode(err);
    throw new ApplyObjectError(objectKey(obj), "dry-run", status, conflictHint(status, apiMessage(err)));
  }
}

/** readLive GETs an object; undefined when it does not exist. */
export async function readLive(m: ResourceManager, obj: KubeObject): Promise<KubeObject | undefined> {
  try {
    return (await m.api.read(objectHeader(obj))) as KubeObject;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new ApplyObjectError(objectKey(obj), "read", statusCode(err), apiMessage(err));
  }
}

/**
 * diffObject compares one desired object with the cluster. `kindServed` false plans the object as a
 * create without asking the cluster (its CRD or namespace is applied in the same run). Skipped objects
 * (reconcile disabled, ssa Ignore, ssa IfNotPresent when present) are never dry-run.
 */
export async function diffObject(m: ResourceManager, obj: KubeObject, opts: DiffOptions & { kindServed: boolean; live?: LiveObjects }): Promise<DiffResult> {
  const base = { object: obj, subject: objectKey(obj), id: entryOf(obj).id, fields: [] as string[] };
  const listed = opts.live ? opts.live.lookup(obj) : LiveObjects.UNLISTED;
  let live = opts.kindServed && !skipReason(obj, undefined) ? (listed !== LiveObjects.UNLISTED ? listed : await readLive(m, obj)) : undefined;
  const skip = skipReason(obj, live);
  if (skip) return { ...base, action: "skipped", live, skipReason: skip };
  if (!live) {
    if (opts.kindServed && opts.dryRunCreates) await dryRunCreate(m, obj);
    return { ...base, action: "created" };
  }
  const paths = ignoredPaths(opts.ignore, obj);
  const desired = paths.length ? adoptIgnored(obj, live, paths) : obj;
  const takeover = ssaPolicy(obj) === "Merge" ? undefined : takeoverPatch(live);
  let dryRun: KubeObject;
  try {
    dryRun = await dryRunApply(m, desired);
  } catch (err) {
    if (!isImmutableError(err)) throw err;
    if (!opts.force && !isForceEnabled(obj) && !isForceEnabled(live)) {
      const message = (err as Error).message.replace(/^.*? dry-run failed: /, "");
      throw new ApplyObjectError(base.subject, "apply", 422, `${message}; set force: true (or annotate it kustomize.toolkit.fluxcd.io/force: enabled) to recreate it`);
    }
    return { ...base, object: desired, action: "configured", fields: ["(immutable)"], live, recreate: true };
  }
  let fields = driftedFields(withoutPaths(dryRun, paths), withoutPaths(live, paths));
  if (fields.length && typeof listed === "object") {
    // A listed copy can be older than the dry-run (a controller wrote since): compare with a fresh read.
    const fresh = await readLive(m, obj);
    if (fresh) [live, fields] = [fresh, driftedFields(withoutPaths(dryRun, paths), withoutPaths(fresh, paths))];
  }
  if (takeover) fields.push("metadata.managedFields");
  const conflicts = forcedConflicts(live, dryRun);
  return { ...base, object: desired, action: fields.length ? "configured" : "unchanged", fields, live, dryRun, takeover, conflicts };
}

/**
 * diffAll runs diffObject over many objects with bounded parallelism, keeping their order. Live objects
 * of large groups (same kind and namespace) are read with one paginated LIST instead of a GET each.
 */
export async function diffAll(m: ResourceManager, objects: KubeObject[], opts: DiffOptions & { canRead?: (o: KubeObject) => boolean }): Promise<DiffResult[]> {
  const limit = pLimit(m.concurrency);
  const readable = objects.filter((o) => !skipReason(o, undefined) && (opts.canRead?.(o) ?? true));
  const live = await LiveObjects.list(m, readable);
  return Promise.all(objects.map((o) => limit(() => diffObject(m, o, { ...opts, kindServed: opts.canRead?.(o) ?? true, live }))));
}
