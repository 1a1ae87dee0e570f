// Masterminds semver (the constraint syntax of Flux and Helm) on top of node-semver.
import semver from "semver";

/** toSemverRange translates Masterminds constraints (`>= 1.0, < 2.0`) into node-semver syntax. */
export function toSemverRange(constraint: string): string {
  return constraint
    .split("||")
    .map((part) => part.split(",").map((p) => p.trim().replace(/^=>/, ">=").replace(/^=</, "<=")).join(" "))
    .join(" || ");
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * parseVersion parses a version as Masterminds' NewVersion does: an optional `v`, and missing minor or
 * patch numbers count as 0 (`1.2` is 1.2.0). Returns undefined for anything else.
 */
export function parseVersion(version: string): semver.SemVer | undefined {
  const m = VERSION.exec(version.trim());
  if (!m) return undefined;
  return semver.parse(`${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}${m[4] ?? ""}${m[5] ?? ""}`) ?? undefined;
}

/** Constraint checks versions against a Masterminds constraint. */
export interface Constraint {
  test(version: semver.SemVer): boolean;
}

const COMPARATOR = /(!=|=>|=<|>=|<=|~>|[=<>~^]?)\s*(v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/g;

/**
 * parseConstraint reads a Masterminds constraint and returns a checker with Masterminds' semantics where
 * they differ from node-semver's:
 * - `,` means AND, like a space (`>= 1.0, < 2.0`);
 * - `=>`, `=<` and `!=` are operators (node-semver has none of them);
 * - prereleases match only in an OR group that mentions a prerelease, but then for any major.minor.patch
 *   (node-semver only lets `1.2.3-x` prereleases through a `1.2.3-y` comparator).
 * Throws when the constraint cannot be parsed.
 */
export function parseConstraint(constraint: string): Constraint {
  const groups = constraint.split("||").map((group) => {
    const text = group.trim();
    const comparators: { negate: boolean; range: semver.Range }[] = [];
    const rest = text.replace(/\s+-\s+/g, " - ");
    if (/\s-\s/.test(rest)) {
      // A hyphen range `1.2 - 1.4.5` is the same in both libraries.
      comparators.push({ negate: false, range: new semver.Range(rest, { includePrerelease: true }) });
    } else {
      let consumed = "";
      for (const m of text.matchAll(COMPARATOR)) {
        if (!m[0]) continue;
        consumed += m[0];
        const [op, version] = [m[1], m[2]];
        if (op === "!=") comparators.push({ negate: true, range: new semver.Range(`=${version}`, { includePrerelease: true }) });
        else comparators.push({ negate: false, range: new semver.Range(`${toSemverRange(op)}${version}`, { includePrerelease: true }) });
      }
      if (text === "") comparators.push({ negate: false, range: new semver.Range("*", { includePrerelease: true }) });
      else if (consumed.replace(/\s/g, "") !== text.replace(/[\s,]/g, "")) throw new Error(`improper constraint: ${constraint}`);
    }
    const hasPrerelease = /\d-[0-9A-Za-z]/.test(text);
    return { comparators, hasPrerelease };
  });
  return {
    test(version) {
      return groups.some(
        (g) =>
          (g.hasPrerelease || version.prerelease.length === 0) &&
          g.comparators.every((c) => c.range.test(version) !== c.negate),
      );
    },
  };
}
