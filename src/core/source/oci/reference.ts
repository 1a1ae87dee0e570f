// OCI references: `oci://host[:port]/repository[:tag|@digest]` and where a registry's API lives.

/** OCIReference names a repository in a registry, optionally with a tag or a manifest digest. */
export interface OCIReference {
  /** `host[:port]` of the registry, as used for credentials lookup. */
  host: string;
  /** Repository path inside the registry, e.g. `org/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** OCIReferenceError reports a URL that is not an `oci://` reference; its message says what is wrong. */
export class OCIReferenceError extends Error {}

/**
 * parseOCIReference reads `oci://host[:port]/repo[/...]`. With `allowTag` (the CLI form), a trailing
 * `:tag` and/or `@sha256:<hex>` is accepted too; a spec URL carries neither (ref.tag/ref.digest do).
 */
export function parseOCIReference(url: string, opts: { allowTag?: boolean } = {}): OCIReference {
  if (!url.startsWith("oci://")) throw new OCIReferenceError(`"${url}" must start with oci://`);
  let rest = url.slice("oci://".length);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    if (!opts.allowTag) throw new OCIReferenceError(`"${url}" must not contain a digest; set ref.digest instead`);
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new OCIReferenceError(`"${digest}" in "${url}" is not a sha256 digest`);
  }
  const slash = rest.indexOf("/");
  if (slash <= 0) throw new OCIReferenceError(`"${url}" names no repository; use oci://<host>[:port]/<repository>`);
  const host = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  const colon = path.lastIndexOf(":");
  if (colon >= 0) {
    if (!opts.allowTag) throw new OCIReferenceError(`"${url}" must not contain a tag; set ref.tag instead`);
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw new OCIReferenceError(`"${tag}" in "${url}" is not a valid tag`);
  }
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) && !/^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host)) {
    throw new OCIReferenceError(`"${host}" in "${url}" is not a registry host[:port]`);
  }
  path = path.replace(/\/+$/, "");
  if (!REPOSITORY.test(path)) throw new OCIReferenceError(`"${path}" in "${url}" is not a valid repository name (lowercase letters, digits, separators)`);
  return { host, repository: path, tag, digest };
}

/** registryBaseUrl is the registry's API root: https:// always, http:// only when insecure is set. */
export function registryBaseUrl(host: string, insecure: boolean | undefined): string {
  return `${insecure ? "http" : "https"}://${host}`;
}

/** formatOCIReference prints `host/repository[:tag][@digest]`, the way the flux CLI names artifacts. */
export function formatOCIReference(ref: OCIReference): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
