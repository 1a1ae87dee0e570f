// pushArtifact: `flux push artifact` — pack a directory deterministically and push it as a Flux artifact.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "../../artifact/archive";
import { sha256Digest } from "../../artifact/digest";
import type { OCIAuth } from "../oci-types";
import type { TLSConfig } from "../tls";
import { RegistryClient } from "./client";
import { ANNOTATIONS, MEDIA_TYPES, type ImageManifest } from "./manifest";
import { parseOCIReference } from "./reference";

/** PushArtifactOptions describe one push. */
export interface PushArtifactOptions {
  /** Directory to pack; .sourceignore files and `ignore` apply, as in every artifact. */
  dir: string;
  /** `oci://host[:port]/repository`. */
  url: string;
  /** Tag to push. @default "latest" */
  tag?: string;
  /** Annotation org.opencontainers.image.source, e.g. the Git URL. */
  source?: string;
  /** Annotation org.opencontainers.image.revision, e.g. `main@sha1:<sha>`. */
  revision?: string;
  /** Extra manifest annotations. */
  annotations?: Record<string, string>;
  /** Annotation org.opencontainers.image.created. @default now, RFC 3339 */
  created?: string;
  /** Extra ignore patterns (gitignore syntax). */
  ignore?: string;
  auth?: OCIAuth;
  tls?: TLSConfig;
  /** Talk plain HTTP. @default false */
  insecure?: boolean;
  /** Bound of each registry call in milliseconds. @default 60000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** PushResult is what was pushed: the manifest digest and the layer's digest and size. */
export interface PushResult {
  digest: string;
  layer: { digest: string; size: number };
}

/**
 * pushArtifact packs `dir` (sorted, zeroed times and owners, Flux's modes) and pushes it with Flux's media
 * types: config `application/vnd.cncf.flux.config.v1+json` (`{}`), one layer
 * `application/vnd.cncf.flux.content.v1.tar+gzip`, and an OCI image manifest carrying the
 * org.opencontainers.image.{source,revision,created} annotations. Blobs the registry has are skipped.
 */
export async function pushArtifact(opts: PushArtifactOptions): Promise<PushResult> {
  const ref = parseOCIReference(opts.url);
  const tag = opts.tag ?? "latest";
  const work = await mkdtemp(join(tmpdir(), "fluxiac-push-"));
  const client = new RegistryClient({ host: ref.host, insecure: opts.insecure, auth: opts.auth, tls: opts.tls, timeoutMs: opts.timeoutMs, signal: opts.signal });
  try {
    const layerFile = join(work, "artifact.tar.gz");
    const layer = await pack(opts.dir, layerFile, { ignore: opts.ignore });
    const config = Buffer.from("{}");
    const configDigest = sha256Digest(config);
    const annotations: Record<string, string> = { ...opts.annotations, [ANNOTATIONS.created]: opts.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
    if (opts.source) annotations[ANNOTATIONS.source] = opts.source;
    if (opts.revision) annotations[ANNOTATIONS.revision] = opts.revision;
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.fluxConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.fluxContent, digest: layer.digest, size: layer.size }],
      annotations,
    };
    await client.pushBlob(ref.repository, configDigest, config);
    await client.pushBlob(ref.repository, layer.digest, layerFile);
    const digest = await client.putManifest(ref.repository, tag, Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest);
    return { digest, layer };
  } finally {
    await client.close();
    await rm(work, { recursive: true, force: true });
  }
}
