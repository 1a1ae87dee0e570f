// pullOCIArtifact: turn a resolved manifest into an artifact in the store: select the layer, download
// and verify it, then extract it safely and re-pack it (extract) or store the blob as it is (copy).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Artifact } from "../../artifact/artifact";
import { extract, UnsafeArchiveError } from "../../artifact/archive";
import type { ArtifactStore } from "../../artifact/store";
import type { OCILayerSelector } from "../oci-types";
import type { RegistryClient } from "./client";
import { isTarGzip, type Descriptor, type ImageManifest } from "./manifest";
import type { OCITarget } from "./resolve";
import { RegistryError } from "./transport";

/** selectLayer returns the first layer, or the first whose media type is layerSelector.mediaType. */
export function selectLayer(manifest: ImageManifest, selector: OCILayerSelector | undefined): Descriptor {
  const layer = selector?.mediaType ? manifest.layers.find((l) => l.mediaType === selector.mediaType) : manifest.layers[0];
  if (!layer) {
    const have = manifest.layers.map((l) => l.mediaType).join(", ") || "none";
    throw new RegistryError(
      "ArtifactFailed",
      selector?.mediaType ? `no layer has media type "${selector.mediaType}" (layers: ${have}): check layerSelector.mediaType` : "the manifest has no layers",
    );
  }
  return layer;
}

/** PullOptions are the spec fields that shape the artifact. */
export interface PullOptions {
  repository: string;
  layerSelector?: OCILayerSelector;
  ignore?: string;
}

/**
 * pullOCIArtifact downloads the selected layer (its sha256 verified) and stores the artifact. `extract`
 * (default) needs a tar+gzip layer, rejects `..`, absolute paths and links, and re-packs the tree with
 * the ignore rules; `copy` stores the verified blob unchanged. Metadata are the manifest's annotations.
 */
export async function pullOCIArtifact(client: RegistryClient, target: OCITarget, opts: PullOptions, store: ArtifactStore): Promise<Artifact> {
  const layer = selectLayer(target.manifest.manifest, opts.layerSelector);
  const operation = opts.layerSelector?.operation ?? "extract";
  if (operation === "extract" && !isTarGzip(layer.mediaType)) {
    throw new RegistryError("ArtifactFailed", `layer ${layer.digest} has media type "${layer.mediaType}", which is not tar+gzip: set layerSelector.operation to "copy" or select another layer`);
  }
  const work = await mkdtemp(join(tmpdir(), "fluxiac-oci-"));
  try {
    const blob = join(work, "layer.tgz");
    await client.fetchBlob(opts.repository, layer, blob);
    let stored: { digest: string; size: number };
    if (operation === "copy") {
      stored = await store.putFile(blob);
    } else {
      const root = join(work, "root");
      try {
        await extract(blob, root);
      } catch (err) {
        const why = err instanceof UnsafeArchiveError ? err.message : `it is not a valid tar+gzip (${(err as Error).message})`;
        throw new RegistryError("ArtifactFailed", `layer ${layer.digest} cannot be extracted: ${why}`);
      }
      stored = await store.packDir(root, { ignore: opts.ignore });
    }
    const annotations = target.manifest.manifest.annotations;
    return { revision: target.revision, ...stored, ...(annotations && Object.keys(annotations).length ? { metadata: { ...annotations } } : {}) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
