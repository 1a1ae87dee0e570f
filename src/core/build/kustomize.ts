// Kustomization build: extract the artifact, resolve the path inside it, generate, run kustomize.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { extract } from "../artifact/archive";
import { FluxiacError, errorMessage, type ObjectRef } from "../errors";
import { run } from "../exec";
import { confineBuild, ConfinementError } from "./confine";
import { decryptSources } from "./decrypt-sources";
import type { Keyring } from "./keyring";
import { generateKustomization } from "./generator";
import { sortLegacy } from "./legacy-order";
import { applyOverlay, hasOverlay, type OverlayOptions } from "./overlay";

/** KubeObject is a Kubernetes object as plain data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [key: string]: unknown;
}

let located: Promise<[string, string[]]> | undefined;

/**
 * kustomizeCommand finds kustomize once per process: $FLUXIAC_KUSTOMIZE, else `kustomize` on PATH,
 * else `kubectl kustomize`.
 */
export function kustomizeCommand(): Promise<[string, string[]]> {
  located ??= (async (): Promise<[string, string[]]> => {
    if (process.env.FLUXIAC_KUSTOMIZE) return [process.env.FLUXIAC_KUSTOMIZE, ["build"]];
    const probe = await run("kustomize", ["version"]).catch(() => undefined);
    if (probe && probe.code === 0) return ["kustomize", ["build"]];
    const kubectl = await run("kubectl", ["version", "--client"]).catch(() => undefined);
    if (kubectl && kubectl.code === 0) return ["kubectl", ["kustomize"]];
    throw new Error("kustomize was not found: install kustomize v5 (or kubectl) on PATH, or set FLUXIAC_KUSTOMIZE");
  })();
  located.catch(() => (located = undefined)); // look again next time after a failure
  return located;
}

/** resolveArtifactPath resolves a Kustomization path inside the artifact root, refusing to leave it. */
export function resolveArtifactPath(root: string, path: string | undefined, object: ObjectRef): string {
  const target = resolve(root, (path ?? "./").replace(/^\/+/, ""));
  if (target !== resolve(root) && !target.startsWith(resolve(root) + sep)) {
    throw new FluxiacError(object, "ValidationFailed", `path "${path}" leaves the artifact root; use a path inside the repository`);
  }
  return target;
}

/** parseManifests turns kustomize's multi-document output into objects, naming the bad document on error. */
export function parseManifests(text: string, object: ObjectRef): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length) throw new FluxiacError(object, "BuildFailed", `document ${i + 1} of the build is not valid YAML: ${doc.errors[0].message}`);
    const v = doc.toJS() as KubeObject | null;
    if (!v) return;
    if (typeof v !== "object" || !v.apiVersion || !v.kind || !v.metadata?.name) {
      throw new FluxiacError(object, "BuildFailed", `document ${i + 1} of the build is not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    }
    objects.push(v);
  });
  return objects;
}

/** BuildResult is a built Kustomization: its objects. */
export interface BuildResult {
  objects: KubeObject[];
}

/** BuildOptions are the Kustomization fields that shape the build. */
export interface BuildOptions extends OverlayOptions {
  /** Allow remote bases (URLs in resources, bases and components). @default false */
  allowRemoteBases?: boolean;
  /** Keys to decrypt secretGenerator sources with before the build; none: they are left as they are. */
  decryptionKeys?: Keyring;
  /**
   * Run kustomize even for a path without a kustomization file, no overlay options and only plain objects,
   * which fluxiac otherwise reads itself: kustomize would emit exactly those objects. @default false
   */
  alwaysKustomize?: boolean;
}

/**
 * buildKustomization extracts the artifact, generates a kustomization.yaml if needed, writes the overlay
 * options into it, checks that every referenced file stays inside the artifact, and runs kustomize build
 * (kustomize's defaults: no plugins, no exec functions, files loaded from the kustomization's root only).
 * A generated kustomization that lists only files of plain objects, with no overlay options, builds to
 * exactly those objects; they are returned without running kustomize (see alwaysKustomize).
 */
export async function buildKustomization(artifactPath: string, revision: string, path: string | undefined, object: ObjectRef, options: BuildOptions = {}): Promise<BuildResult> {
  const root = await mkdtemp(join(tmpdir(), "fluxiac-build-"));
  try {
    await extract(artifactPath, root).catch((err) => {
      throw new FluxiacError(object, "ArtifactFailed", `artifact ${revision} cannot be extracted: ${errorMessage(err)}`);
    });
    const dir = resolveArtifactPath(root, path, object);
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new FluxiacError(object, "BuildFailed", `path "${path ?? "./"}" not found in artifact ${revision}: check path`);
    const generated = await generateKustomization(root, dir).catch((err) => {
      throw new FluxiacError(object, "BuildFailed", `generating a kustomization.yaml for "${path ?? "./"}" at ${revision} failed: ${errorMessage(err)}`);
    });
    // A generated kustomization of plain objects with no overlay is an identity build: skip kustomize.
    if (generated?.objects && !hasOverlay(options) && !options.alwaysKustomize) return { objects: sortLegacy(generated.objects) };
    await applyOverlay(dir, options).catch((err) => {
      throw new FluxiacError(object, "BuildFailed", `applying the overlay options to "${path ?? "./"}" at ${revision} failed: ${errorMessage(err)}`);
    });
    await confineBuild(root, dir, options).catch((err) => {
      if (err instanceof ConfinementError) throw new FluxiacError(object, "BuildFailed", `${err.message} (revision ${revision})`);
      throw new FluxiacError(object, "BuildFailed", errorMessage(err).split(root).join(""));
    });
    if (options.decryptionKeys) {
      await decryptSources(root, dir, options.decryptionKeys).catch((err) => {
        throw new FluxiacError(object, "BuildFailed", errorMessage(err).split(root).join(""));
      });
    }
    const [cmd, args] = await kustomizeCommand().catch((err) => {
      throw new FluxiacError(object, "BuildFailed", errorMessage(err));
    });
    const res = await run(cmd, [...args, dir], { cwd: root });
    if (res.code !== 0) {
      const msg = res.stderr.split(root).join("").trim().split("\n").slice(-3).join(" ");
      throw new FluxiacError(object, "BuildFailed", `kustomize build of "${path ?? "./"}" at ${revision} failed: ${msg}`);
    }
    return { objects: parseManifests(res.stdout, object) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
