// RegistryClient: the OCI distribution API fluxiac needs: tags, manifests, blobs (verified), uploads.
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { sha256Digest, sha256Meter } from "../../artifact/digest";
import { MEDIA_TYPES, type Descriptor, type ImageManifest } from "./manifest";
import { RegistryError, RegistryTransport, type RegistryClientOptions } from "./transport";

export { RegistryError, type RegistryClientOptions } from "./transport";

/** ManifestResult is a fetched manifest, its digest (sha256 of the exact bytes) and its media type. */
export interface ManifestResult {
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  bytes: Buffer;
}

const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList].join(", ");
const MAX_MANIFEST = 4 << 20;

/** RegistryClient talks to one registry host. Create one per operation and close() it. */
export class RegistryClient {
  private readonly t: RegistryTransport;

  constructor(opts: RegistryClientOptions) {
    this.t = new RegistryTransport(opts);
  }

  /** host is the registry's `host[:port]`. */
  get host(): string {
    return this.t.host;
  }

  /** close releases the client's connections. */
  close(): Promise<void> {
    return this.t.close();
  }

  /** listTags returns every tag of a repository, following the `Link` header's pages. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    for (let page = 0; url && page < 1000; page++) {
      const res = await this.t.send({ method: "GET", url, repository, scope: "pull", expect: [200] });
      const body = (await res.body.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      url = nextLink(res.headers.link, this.t.base);
    }
    return tags;
  }

  /** getManifest fetches a manifest by tag or digest; a digest reference is verified against the bytes. */
  async getManifest(repository: string, reference: string): Promise<ManifestResult> {
    const res = await this.t.send({ method: "GET", url: `/v2/${repository}/manifests/${reference}`, repository, scope: "pull", headers: { accept: MANIFEST_ACCEPT }, expect: [200] });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    if (bytes.length > MAX_MANIFEST) throw new RegistryError("OCIOperationFailed", `the manifest ${repository}:${reference} is larger than 4 MiB`);
    const digest = sha256Digest(bytes);
    if (reference.startsWith("sha256:") && reference !== digest) {
      throw new RegistryError("ArtifactFailed", `${this.host} returned a manifest for ${reference} whose bytes hash to ${digest}`);
    }
    let manifest: ImageManifest;
    try {
      manifest = JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new RegistryError("OCIOperationFailed", `the manifest ${repository}:${reference} is not JSON`);
    }
    const mediaType = manifest.mediaType ?? String(res.headers["content-type"] ?? "").split(";")[0];
    if (mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList) {
      throw new RegistryError("OCIOperationFailed", `${repository}:${reference} is an image index (multi-platform image), not an artifact: point the ref at a single manifest`);
    }
    if (!manifest.config || !Array.isArray(manifest.layers)) {
      throw new RegistryError("OCIOperationFailed", `${repository}:${reference} (${mediaType}) is not an OCI image manifest`);
    }
    return { digest, mediaType, manifest, bytes };
  }

  /** fetchBlob downloads a blob to dest and verifies its sha256 and size against the descriptor. */
  async fetchBlob(repository: string, blob: Descriptor, dest: string): Promise<void> {
    const res = await this.t.send({ method: "GET", url: `/v2/${repository}/blobs/${blob.digest}`, repository, scope: "pull", expect: [200], followRedirects: true });
    const meter = sha256Meter();
    try {
      await pipeline(res.body, meter.stream, createWriteStream(dest, { mode: 0o600 }));
    } catch (err) {
      await rm(dest, { force: true });
      throw this.t.transportError(err);
    }
    const got = meter.digest();
    const size = meter.size();
    if (got !== blob.digest || (blob.size !== undefined && size !== blob.size)) {
      await rm(dest, { force: true });
      throw new RegistryError("ArtifactFailed", `the blob ${blob.digest} from ${this.host}/${repository} has digest ${got} and ${size} bytes (expected ${blob.size}): the registry served corrupted content`);
    }
  }

  /** fetchBlobBuffer downloads a small blob (a config) into memory, verified like fetchBlob. */
  async fetchBlobBuffer(repository: string, blob: Descriptor): Promise<Buffer> {
    const res = await this.t.send({ method: "GET", url: `/v2/${repository}/blobs/${blob.digest}`, repository, scope: "pull", expect: [200], followRedirects: true });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const got = sha256Digest(bytes);
    if (got !== blob.digest) throw new RegistryError("ArtifactFailed", `the blob ${blob.digest} from ${this.host}/${repository} has digest ${got}: the registry served corrupted content`);
    return bytes;
  }

  /** hasBlob asks with HEAD whether the repository already holds a blob. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.t.send({ method: "HEAD", url: `/v2/${repository}/blobs/${digest}`, repository, scope: "pull,push", expect: [200, 404] });
    await res.body.dump();
    return res.statusCode === 200;
  }

  /**
   * pushBlob uploads a blob monolithically (POST, then PUT ?digest=) unless HEAD says the repository has
   * it. `content` is the bytes or the path of a file. Returns false when the blob was already there.
   */
  async pushBlob(repository: string, digest: string, content: Buffer | string): Promise<boolean> {
    if (await this.hasBlob(repository, digest)) return false;
    const started = await this.t.send({ method: "POST", url: `/v2/${repository}/blobs/uploads/`, repository, scope: "pull,push", expect: [202] });
    await started.body.dump();
    const location = started.headers.location;
    if (!location) throw new RegistryError("OCIOperationFailed", `${this.host} started an upload without a Location header`);
    const target = new URL(String(location), this.t.base);
    if (target.origin !== new URL(this.t.base).origin) throw new RegistryError("OCIOperationFailed", `${this.host} sent the upload to another host (${target.origin}); fluxiac only uploads to the registry itself`);
    target.searchParams.set("digest", digest);
    const size = typeof content === "string" ? (await stat(content)).size : content.length;
    const body = typeof content === "string" ? () => createReadStream(content) : content;
    const done = await this.t.send({
      method: "PUT", url: target.toString(), repository, scope: "pull,push", body,
      headers: { "content-type": "application/octet-stream", "content-length": String(size) }, expect: [201, 204],
    });
    await done.body.dump();
    return true;
  }

  /** putManifest uploads a manifest under a tag (or digest) and returns its digest. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.t.send({ method: "PUT", url: `/v2/${repository}/manifests/${reference}`, repository, scope: "pull,push", body: bytes, headers: { "content-type": mediaType }, expect: [201, 200] });
    await res.body.dump();
    return sha256Digest(bytes);
  }
}

/** nextLink reads `Link: </v2/...?last=x&n=100>; rel="next"`, refusing links that leave the registry. */
export function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  const value = Array.isArray(header) ? header.join(",") : header;
  const m = value ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(value) : null;
  if (!m) return undefined;
  const url = new URL(m[1], base);
  if (url.origin !== new URL(base).origin) throw new RegistryError("OCIOperationFailed", `the tag list of ${new URL(base).host} links to another host (${url.origin})`);
  return `${url.pathname}${url.search}`;
}
