// resolveOCIRef: what an OCIRepository ref points at now, with Flux's precedence digest > semver > tag.
import semver from "semver";
import { parseConstraint, parseVersion } from "../semver";
import type { OCIRepositoryRef } from "../oci-types";
import type { ManifestResult, RegistryClient } from "./client";
import { RegistryError } from "./transport";

/** OCITarget is a resolved ref: the manifest and Flux's revision (`<tag>@sha256:<hex>` or `sha256:<hex>`). */
export interface OCITarget {
  revision: string;
  /** The tag that was resolved; undefined for a digest ref. */
  tag?: string;
  manifest: ManifestResult;
}

/** versionOfTag reads a tag as a semver version (Masterminds rules); `_` stands for `+`, as Helm charts in OCI registries write it. */
export function versionOfTag(tag: string): semver.SemVer | undefined {
  return parseVersion(tag.replace(/_/g, "+"));
}

/** tagOfVersion writes a version as a tag (`+` becomes `_`, which tags cannot contain). */
export function tagOfVersion(version: string): string {
  return version.replace(/\+/g, "_");
}

/**
 * selectSemverTag picks the highest tag inside the range (Masterminds syntax) among the tags that match
 * the optional filter, or undefined.
 */
export function selectSemverTag(tags: string[], range: string, filter?: string): string | undefined {
  const r = parseConstraint(range);
  const re = filter ? new RegExp(filter) : undefined;
  let best: { tag: string; v: semver.SemVer } | undefined;
  for (const tag of tags) {
    if (re && !re.test(tag)) continue;
    const v = versionOfTag(tag);
    if (v && r.test(v) && (!best || semver.gt(v, best.v))) best = { tag, v };
  }
  return best?.tag;
}

/** manifestDigestOfRevision extracts the manifest digest from `<tag>@sha256:<hex>` or `sha256:<hex>`. */
export function manifestDigestOfRevision(revision: string): string | undefined {
  return /(?:^|@)(sha256:[0-9a-f]{64})$/.exec(revision)?.[1];
}

/**
 * resolveOCIRef fetches the manifest the ref selects: ref.digest, else the highest tag matching ref.semver
 * (after ref.semverFilter), else ref.tag (default "latest"). Missing refs fail with a RegistryError
 * (reason RefNotFound) naming the field to change.
 */
export async function resolveOCIRef(client: RegistryClient, url: string, repository: string, ref: OCIRepositoryRef = {}): Promise<OCITarget> {
  const manifest = async (reference: string, field: string) => {
    try {
      return await client.getManifest(repository, reference);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) throw new RegistryError("RefNotFound", `${field} "${reference}" was not found in ${url}: check ${field}`, 404);
      throw err;
    }
  };
  if (ref.digest) return { revision: ref.digest, manifest: await manifest(ref.digest, "ref.digest") };
  if (ref.semver) {
    let tags: string[];
    try {
      tags = await client.listTags(repository);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) throw new RegistryError("RefNotFound", `the repository ${url} does not exist: check url`, 404);
      throw err;
    }
    const tag = selectSemverTag(tags, ref.semver, ref.semverFilter);
    const filtered = ref.semverFilter ? ` and ref.semverFilter "${ref.semverFilter}"` : "";
    if (!tag) throw new RegistryError("RefNotFound", `no tag in ${url} matches ref.semver "${ref.semver}"${filtered} (${tags.length} tags listed)`);
    const m = await manifest(tag, "ref.semver tag");
    return { revision: `${tag}@${m.digest}`, tag, manifest: m };
  }
  const tag = ref.tag ?? "latest";
  const m = await manifest(tag, "ref.tag");
  return { revision: `${tag}@${m.digest}`, tag, manifest: m };
}
