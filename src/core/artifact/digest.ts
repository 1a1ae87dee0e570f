// sha256 digests in Flux's `<algo>:<hex>` form.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";

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

/** Sha256Meter is a pass-through stream that hashes and counts the bytes flowing through it. */
export interface Sha256Meter {
  stream: Transform;
  /** digest is `sha256:<hex>` of everything that passed; call it once the stream finished. */
  digest(): string;
  size(): number;
}

/** sha256Meter returns a new Sha256Meter, to put into a pipeline. */
export function sha256Meter(): Sha256Meter {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest("hex")}`, size: () => size };
}
