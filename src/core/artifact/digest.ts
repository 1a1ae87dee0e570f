// sha256 digests in Flux's `<algo>:<hex>` form.
import { createHash } from "node:crypto";

/** sha256Digest returns `sha256:<hex>` of some bytes or text. */
export function sha256Digest(data: string | Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** parseDigest splits `sha256:<hex>` and rejects anything else, so digests are safe as file names. */
export function parseDigest(digest: string): { algo: "sha256"; hex: string } {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new Error(`"${digest}" is not a sha256 digest (expected sha256:<64 hex>)`);
  return { algo: "sha256", hex: m[1] };
}
