// fluxiac_git_repository: Flux's GitRepository, resolved with one ls-remote at plan time and fetched only
// when the revision or the settings changed.
import type { GitRepositoryInclude, GitRepositorySpec } from "../../core/source/git-types";
import { bool, obj, objList, str, strList } from "../schema";
import { tlsAttr } from "./common";
import { sourceResource } from "./source";

/** gitRepository is the fluxiac_git_repository resource type. */
export const gitRepository = sourceResource<GitRepositorySpec>({
  typeName: "fluxiac_git_repository",
  kind: "GitRepository",
  description: "Flux's GitRepository",
  specAttributes: {
    url: str("https://, http://, ssh:// or file:// URL of the repository.", { required: true }),
    ref: obj("What to fetch; precedence commit > name > tag > semver > branch. Default: branch master.", {
      branch: str("Branch to follow."),
      tag: str("Tag to fetch."),
      semver: str("Semver range over the tags."),
      name: str("Full reference name, e.g. refs/heads/main or refs/pull/1/head."),
      commit: str("Full 40-character SHA-1 to fetch."),
    }),
    auth: obj(
      "Credentials: username/password or bearer_token over HTTP, identity and known_hosts over SSH.",
      {
        username: str("HTTP basic username."),
        password: str("HTTP basic password."),
        bearer_token: str("HTTP bearer token."),
        identity: str("OpenSSH private key."),
        known_hosts: str("known_hosts lines of the SSH server; without them, the user's known_hosts decides."),
      },
      { optional: true, sensitive: true },
    ),
    tls: tlsAttr,
    timeout: str('Timeout of Git operations. Default "60s".'),
    ignore: str("Extra .sourceignore patterns; any pattern replaces Flux's non-VCS default exclusions."),
    recurse_submodules: bool("Fetch submodules too. Default false."),
    include: objList(
      "Other GitRepositories whose artifacts are copied into this tree.",
      {
        repository: str("The included repository's source_reference.", { required: true, sensitive: true }),
        from_path: str("Path inside the included artifact to copy. Default: its root."),
        to_path: str("Path inside this tree to copy to. Default: the included repository's name."),
      },
    ),
    verify: obj(
      "Signature verification of the commit (HEAD), the tag object (Tag) or both (TagAndHEAD).",
      { mode: str("HEAD, Tag or TagAndHEAD.", { required: true }), public_keys: strList("ASCII-armored PGP and/or SSH public keys.", { required: true }) },
      { optional: true, sensitive: true },
    ),
  },
  spec(props) {
    const include = props.include as { repository: string }[] | undefined;
    const spec = { ...props } as unknown as GitRepositorySpec;
    if (include) spec.include = include.map((i) => ({ ...i, repository: JSON.parse(i.repository) }) as GitRepositoryInclude);
    return spec;
  },
  engine() {
    const e: typeof import("../../core/reconcile/git-repository") = require("../../core/reconcile/git-repository");
    return {
      validate: e.validateGitRepository,
      async plan(name, spec, previous, ctx) {
        const status =
          previous &&
          e.gitRepositoryStatus(previous.spec, {
            artifact: previous.artifact,
            includedArtifacts: (previous.spec.include ?? []).map((i) => i.repository.artifact),
            sourceVerificationMode: previous.spec.verify?.mode,
          });
        return (await e.planGitRepository(name, spec, status, ctx)).artifact;
      },
      ensure: e.ensureGitArtifact,
    };
  },
});
