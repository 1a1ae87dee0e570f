// Artifact: what every source produces, as plain data kept in IaC state.

/** Artifact is a source's output: a revision plus the sha256 digest of its tar.gz in the store. */
export interface Artifact {
  /** Flux's revision string: `main@sha1:<40hex>`, `v1.0.0@sha256:<64hex>`, `sha256:<64hex>`, `1.2.3`. */
  revision: string;
  /** `sha256:<hex>` of the stored (compressed) bytes. */
  digest: string;
  /** Size of the stored bytes. */
  size: number;
  /** Extra facts about the artifact, such as OCI annotations (`org.opencontainers.image.revision`). */
  metadata?: Record<string, string>;
}
