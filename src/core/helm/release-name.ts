// Flux's release naming (helm-controller api/v2 GetReleaseName, internal/release ShortenName).
import { createHash } from "node:crypto";

/** MAX_RELEASE_NAME is Helm's limit on a release name. */
export const MAX_RELEASE_NAME = 53;

/**
 * shortenName returns a name of at most 53 characters the way Flux does: a longer name becomes its first
 * 40 characters, "-" and the first 12 hex characters of the sha256 of the whole name, lower-cased.
 */
export function shortenName(name: string): string {
  if (name.length <= MAX_RELEASE_NAME) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `${name.slice(0, 40)}-${hash}`.toLowerCase();
}

/** releaseName is spec.releaseName, else `[<targetNamespace>-]<name>`, shortened as Flux does. */
export function releaseName(name: string, spec: { releaseName?: string; targetNamespace?: string }): string {
  if (spec.releaseName) return shortenName(spec.releaseName);
  return shortenName(spec.targetNamespace ? `${spec.targetNamespace}-${name}` : name);
}
