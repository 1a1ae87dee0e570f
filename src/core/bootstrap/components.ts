// Flux's component manifests for gotk-components.yaml, and the "controllers" mode: applying them and the
// sync objects to the cluster with the staged server-side apply, and waiting for readiness.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "../artifact/archive";
import { parseManifests, resolveArtifactPath, type KubeObject } from "../build/kustomize";
import { parseDuration } from "../duration";
import { FluxiacError, errorMessage, type ObjectRef } from "../errors";
import { waitForHealth } from "../kube/health/wait";
import { applyAllStaged } from "../kube/ssa/apply";
import { diffAll } from "../kube/ssa/diff";
import { definedKinds, normalize, type ResourceManager } from "../kube/ssa/manager";
import type { ReconcileContext } from "../reconcile/context";
import { ensureSourceArtifact } from "../reconcile/source-reference";
import { fluxVersion, readManifests } from "./sync-manifests";
import type { ComponentsSource } from "./types";

/** Components are Flux's component manifests and their version. */
export interface Components {
  manifests: string;
  version: string;
}

/** loadComponents reads the manifests the user named: a local file or directory, or a path in a source's artifact. */
export async function loadComponents(source: ComponentsSource, object: ObjectRef, ctx: ReconcileContext): Promise<Components> {
  let manifests: string;
  try {
    if (source.localPath) manifests = await readManifests(source.localPath);
    else if (source.sourceRef) manifests = await readFromArtifact(source.sourceRef, source.path, object, ctx);
    else throw new Error("name localPath or sourceRef");
  } catch (err) {
    if (err instanceof FluxiacError) throw err;
    throw new FluxiacError(object, "ValidationFailed", `components: the manifests could not be read (${errorMessage(err)}); check components.localPath or components.path`);
  }
  return { manifests, version: source.version ?? fluxVersion(manifests) ?? "custom" };
}

async function readFromArtifact(ref: NonNullable<ComponentsSource["sourceRef"]>, path: string | undefined, object: ObjectRef, ctx: ReconcileContext): Promise<string> {
  const archive = await ensureSourceArtifact(ref, ctx);
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-components-"));
  try {
    await extract(archive, dir);
    return await readManifests(resolveArtifactPath(dir, path, object));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** controllerObjects are the components' objects (when given) and the sync objects, normalized for apply. */
export async function controllerObjects(m: ResourceManager, components: string | undefined, sync: KubeObject[], object: ObjectRef, namespace: string): Promise<KubeObject[]> {
  const objects = [...(components ? parseManifests(components, object) : []), ...sync];
  return normalize(m, objects, namespace);
}

/** planControllers lists the objects an apply would create or update (`Kind/namespace/name`). */
export async function planControllers(m: ResourceManager, objects: KubeObject[]): Promise<string[]> {
  const unserved = new Set<string>();
  for (const o of objects) for (const k of definedKinds(o)) if (!(await m.api.apiResource(k.apiVersion, k.kind))) unserved.add(k.key);
  const diffs = await diffAll(m, objects, { dryRunCreates: false, canRead: (o) => !unserved.has(`${o.apiVersion}/${o.kind}`) });
  return diffs.filter((d) => d.action === "created" || d.action === "configured").map((d) => d.subject);
}

/** applyControllers applies the objects in Flux's stages and returns those created or configured. */
export async function applyControllers(m: ResourceManager, objects: KubeObject[]): Promise<string[]> {
  const changes = await applyAllStaged(m, objects);
  return changes.entries.filter((e) => e.action === "created" || e.action === "configured").map((e) => e.subject);
}

/**
 * readyExprs: as `flux bootstrap`, the sync objects are ready when they reached the pushed revision (the
 * GitRepository's artifact, the Kustomization's lastAppliedRevision) and their Ready condition is True at
 * their current generation.
 */
function readyExprs(revision: string) {
  const ready = "has(status.conditions) && status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && status.observedGeneration == metadata.generation";
  const failed = "has(status.conditions) && status.conditions.exists(c, c.type == 'Ready' && c.status == 'False' && c.reason != 'Progressing')";
  const rev = JSON.stringify(revision);
  return [
    { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", current: `${ready} && has(status.artifact) && status.artifact.revision == ${rev}`, failed },
    { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", current: `${ready} && has(status.lastAppliedRevision) && status.lastAppliedRevision == ${rev}`, failed },
  ];
}

/**
 * waitForControllers waits until the sync objects reached the revision and are Ready, and the
 * controllers' Deployments rolled out; it fails naming the rest.
 */
export async function waitForControllers(m: ResourceManager, objects: KubeObject[], revision: string, timeout: string, object: ObjectRef): Promise<void> {
  const targets = objects.filter((o) => o.kind === "Deployment" || o.metadata.name === "flux-system" && (o.kind === "GitRepository" || o.kind === "Kustomization"));
  const result = await waitForHealth(m, targets, { timeoutMs: parseDuration(timeout, "waitTimeout"), exprs: readyExprs(revision) });
  if (result.healthy) return;
  const pending = result.objects.filter((o) => o.health.status !== "Current").map((o) => `${o.subject} (${o.health.message})`);
  if (result.cancelled) throw new FluxiacError(object, "Cancelled", `the wait for the controllers was cancelled (the run was interrupted) while waiting for ${pending.join(", ")}; apply again to finish`);
  throw new FluxiacError(object, "HealthCheckFailed", `${result.timedOut ? `not ready after ${timeout}` : "failed"}: ${pending.join(", ")}; check the controllers' logs, or raise waitTimeout`);
}
