// OCI image manifests and descriptors, and the media types fluxiac reads and writes.

/** MEDIA_TYPES are the media types of manifests, Flux artifacts and Helm charts. */
export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  /** Flux's config blob (content `{}`), fluxcd/pkg oci/globals.go. */
  fluxConfig: "application/vnd.cncf.flux.config.v1+json",
  /** Flux's content layer, a tar+gzip of the source tree. */
  fluxContent: "application/vnd.cncf.flux.content.v1.tar+gzip",
  helmChartContent: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
} as const;

/** ANNOTATIONS are the OCI annotations Flux sets on pushed artifacts and copies into Artifact.metadata. */
export const ANNOTATIONS = {
  source: "org.opencontainers.image.source",
  revision: "org.opencontainers.image.revision",
  created: "org.opencontainers.image.created",
} as const;

/** Descriptor points at a blob by media type, digest and size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** ImageManifest is an OCI image manifest (or a Docker v2 schema 2 manifest, which has the same shape). */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** isTarGzip reports whether a layer media type is a gzip-compressed tarball. */
export function isTarGzip(mediaType: string): boolean {
  return /tar[+.]gzip$/.test(mediaType) || mediaType === "application/x-gzip" || mediaType === "application/gzip";
}
