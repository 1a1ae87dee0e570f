// Helm repository index files (Helm's repo.IndexFile as Flux loads it): parse, drop invalid entries,
// sort, and select a chart version with Flux's rules (internal/helm/repository/chart_repository.go).
import type semver from "semver";
import YAML from "yaml";
import { parseConstraint, parseVersion } from "../semver";

/** ChartVersion is one index entry: a chart's metadata plus where to download it. */
export interface ChartVersion {
  name: string;
  version: string;
  /** Download URLs, absolute or relative to the repository URL; the first one is used. */
  urls?: string[];
  /** Hex sha256 of the chart .tgz, when the index has it. */
  digest?: string;
  /** RFC 3339 time the chart was packaged; breaks ties between equal versions. */
  created?: string;
  [field: string]: unknown;
}

/** IndexFile is a normalised index: valid entries only, each chart's versions newest first. */
export interface IndexFile {
  apiVersion: string;
  generated?: string;
  entries: Record<string, ChartVersion[]>;
  [field: string]: unknown;
}

/** IndexError reports an index that cannot be used at all. */
export class IndexError extends Error {}

/**
 * parseIndex loads an index.yaml as Helm does: a missing apiVersion is an error, entries without a name,
 * with a path in their name or without a semver version are dropped, and versions are sorted newest first
 * (ties: newer `created` first).
 */
export function parseIndex(text: string): IndexFile {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new IndexError(`index.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new IndexError("index.yaml is not a mapping");
  const raw = doc as Record<string, unknown>;
  if (!raw.apiVersion) throw new IndexError("index.yaml has no apiVersion: it is not a Helm repository index");
  const entries: Record<string, ChartVersion[]> = {};
  const rawEntries = raw.entries && typeof raw.entries === "object" ? (raw.entries as Record<string, unknown>) : {};
  for (const [name, list] of Object.entries(rawEntries)) {
    if (!Array.isArray(list)) continue;
    entries[name] = validVersions(list);
  }
  const index: IndexFile = { apiVersion: String(raw.apiVersion), entries };
  if (raw.generated !== undefined) index.generated = String(raw.generated);
  for (const field of ["serverInfo", "annotations", "publicKeys"]) if (raw[field] !== undefined) index[field] = raw[field];
  return index;
}

/** validVersions keeps the valid entries (a name without a path, a semver version), newest first. */
export function validVersions(list: unknown[]): ChartVersion[] {
  return list.filter(isValidEntry).map((e) => ({ ...e, name: String(e.name), version: String(e.version) })).sort(newestFirst);
}

function isValidEntry(e: unknown): e is ChartVersion {
  if (!e || typeof e !== "object") return false;
  const { name, version } = e as Record<string, unknown>;
  if (name === undefined || name === null || String(name) === "" || /[/\\]/.test(String(name))) return false;
  return version !== undefined && version !== null && parseVersion(String(version)) !== undefined;
}

function createdAt(cv: ChartVersion): number {
  const t = cv.created ? Date.parse(cv.created) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** newestFirst orders chart versions by semver, then by `created`, newest first. */
export function newestFirst(a: ChartVersion, b: ChartVersion): number {
  const [va, vb] = [parseVersion(a.version)!, parseVersion(b.version)!];
  return vb.compare(va) || createdAt(b) - createdAt(a);
}

/** ChartLookupError says why no chart version could be selected; `reason` classifies it. */
export class ChartLookupError extends Error {
  constructor(
    readonly reason: "ChartNotFound" | "ValidationFailed",
    message: string,
  ) {
    super(message);
  }
}

/**
 * selectChartVersion picks a chart version the way Flux does: an exact string match first; else the
 * highest semver matching the Masterminds constraint, where empty or `*` means the latest stable version
 * (no prereleases); equal versions go to the newer `created`.
 */
export function selectChartVersion(index: IndexFile, chart: string, version = "*"): ChartVersion {
  const versions = index.entries[chart];
  if (!versions) throw new ChartLookupError("ChartNotFound", `chart "${chart}" is not in the repository index: check chart`);
  if (versions.length === 0) throw new ChartLookupError("ChartNotFound", `chart "${chart}" has no versions in the repository index`);
  if (version !== "") {
    const exact = versions.find((cv) => cv.version === version);
    if (exact) return exact;
  }
  let constraint: { test(v: semver.SemVer): boolean };
  try {
    constraint = parseConstraint(version === "" ? "*" : version);
  } catch {
    throw new ChartLookupError("ValidationFailed", `version "${version}" is not a semver constraint (e.g. "1.2.3", ">= 1.0, < 2.0", "~1.2", "*")`);
  }
  const best = versions.filter((cv) => constraint.test(parseVersion(cv.version)!)).sort(newestFirst)[0];
  if (!best) {
    const shown = versions.slice(0, 10).map((cv) => cv.version).join(", ");
    throw new ChartLookupError("ChartNotFound", `no version of chart "${chart}" matches version "${version}" (newest: ${shown}): check version`);
  }
  return best;
}

/** chartUrl resolves an entry's first URL against the repository URL, as Helm's ResolveReferenceURL does. */
export function chartUrl(repositoryUrl: string, cv: ChartVersion): string {
  const ref = cv.urls?.[0];
  if (!ref) throw new ChartLookupError("ChartNotFound", `chart "${cv.name}" version ${cv.version} has no download URL in the index`);
  const base = new URL(repositoryUrl);
  base.pathname = base.pathname.replace(/\/?$/, "/");
  return new URL(ref, base).toString();
}
