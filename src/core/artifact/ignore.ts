// Flux's source-ignore rules (fluxcd/pkg sourceignore): defaults, .sourceignore files, spec.ignore.
import ignore, { type Ignore } from "ignore";

/** VCS_PATTERNS are always excluded. */
export const VCS_PATTERNS = [".git/", ".gitignore", ".gitmodules", ".gitattributes"];

/** DEFAULT_PATTERNS are excluded unless any .sourceignore file or `ignore` field is given (Flux's code, not its docs). */
export const DEFAULT_PATTERNS = [
  "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
  ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
  "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
  "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
];

/** IgnoreRules decides which relative paths of a source tree leave the artifact. */
export interface IgnoreRules {
  /** ignored is called with a slash-separated relative path; directories end in "/". */
  ignored(relPath: string): boolean;
}

/** scopePattern rewrites a gitignore pattern found in directory `dir` so it applies from the root. */
export function scopePattern(pattern: string, dir: string): string {
  const line = pattern.trim();
  if (dir === "" || line === "" || line.startsWith("#")) return line;
  const negated = line.startsWith("!");
  let body = negated ? line.slice(1) : line;
  const anchored = body.replace(/\/$/, "").includes("/");
  body = body.replace(/^\//, "");
  const scoped = anchored ? `${dir}/${body}` : `${dir}/**/${body}`;
  return negated ? `!${scoped}` : scoped;
}

/**
 * ignoreRules builds the rules for a tree: VCS patterns, then the defaults (only when no custom pattern
 * exists), then each .sourceignore (scoped to its directory), then the spec's `ignore` text.
 */
export function ignoreRules(sourceIgnores: { dir: string; content: string }[], specIgnore?: string): IgnoreRules {
  const custom: string[] = [];
  for (const { dir, content } of sourceIgnores) {
    for (const line of content.split(/\r?\n/)) {
      const scoped = scopePattern(line, dir);
      if (scoped && !scoped.startsWith("#")) custom.push(scoped);
    }
  }
  if (specIgnore) {
    for (const line of specIgnore.split(/\r?\n/)) {
      const t = line.trim();
      if (t && !t.startsWith("#")) custom.push(t);
    }
  }
  const ig: Ignore = ignore().add(VCS_PATTERNS);
  if (custom.length === 0) ig.add(DEFAULT_PATTERNS);
  ig.add(custom);
  return { ignored: (rel) => ig.ignores(rel) };
}
