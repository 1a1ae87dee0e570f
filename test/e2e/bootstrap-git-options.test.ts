// BootstrapGit's secretName, kustomizationOverride and commitMessageAppendix against real Git servers (SSH,
// HTTPS) and a real API server: a custom Secret name end to end and a rename, import over SSH, an override
// with a patch that a second run leaves alone, an invalid override refused before any push, and the appendix in `git log`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { ArtifactStore } from "../../src/core/artifact/store";
import { type Logger } from "../../src/core/log";
import { applyBootstrapGit, planBootstrapGit, validateBootstrapGit } from "../../src/core/reconcile/bootstrap-git";
import { importBootstrapGit } from "../../src/core/reconcile/bootstrap-git-import";
import type { BootstrapGitSpec } from "../../src/core/bootstrap/types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must } from "../harness/proc";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-boot-opts-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const AUTHOR = { name: "Platform Bot", email: "bot@example.com" };
const APPENDIX = "Signed-off-by: Platform Bot <bot@example.com>";
const OVERRIDE = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- gotk-sync.yaml
patches:
- patch: |
    - op: replace
      path: /spec/interval
      value: 5m0s
  target:
    kind: GitRepository
    name: flux-system
`;

describe("BootstrapGit options", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let core: k8s.CoreV1Api;
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), debug: () => {} };
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log });

  const bare = (repo: GitRepo, ...args: string[]) => must(tool("git"), ["--git-dir", repo.path, ...args]);
  const show = (repo: GitRepo, file: string) => bare(repo, "show", `main:${file}`);
  const count = async (repo: GitRepo) => Number((await bare(repo, "rev-list", "--count", "main")).trim());
  const messages = async (repo: GitRepo) => (await bare(repo, "log", "--format=%B%x00", "main")).split("\0").map((m) => m.trim()).filter(Boolean);
  const secret = (namespace: string, name: string) =>
    core.readNamespacedSecret({ name, namespace }).then(
      (s) => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])),
      (e: { code?: number }) => (e.code === 404 ? undefined : Promise.reject(e)),
    );
  const syncObjects = async (repo: GitRepo, path: string) => parseAllDocuments(await show(repo, `${path}/flux-system/gotk-sync.yaml`)).map((d) => d.toJS());

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(() => Promise.all([cp?.stop(), git?.stop()]));

  describe("secretName over SSH", () => {
    let repo: GitRepo;
    const ns = "flux-named";
    const spec = (secretName?: string): BootstrapGitSpec => ({
      url: repo.sshUrl,
      auth: { identity: git.sshIdentity, knownHosts: git.knownHosts },
      author: AUTHOR,
      path: "clusters/prod",
      namespace: ns,
      cluster: { kubeconfig: cp.kubeconfig },
      ...(secretName ? { secretName } : {}),
    });
    before(async () => {
      repo = await git.createRepo("fleet-named");
      await repo.commit({ "README.md": "fleet\n" });
    });

    test("a custom secretName holds the credentials and is gotk-sync.yaml's secretRef; no flux-system Secret is made", async () => {
      const first = await applyBootstrapGit("flux-system", spec("git-auth"), undefined, ctx());
      assert.equal(first.commits, 1);
      const [repoObj, ks] = await syncObjects(repo, "clusters/prod");
      assert.deepEqual([repoObj.kind, repoObj.metadata.name, repoObj.spec.secretRef], ["GitRepository", "flux-system", { name: "git-auth" }], "the objects keep Flux's name; the secretRef names the Secret");
      assert.equal(ks.metadata.name, "flux-system");
      const data = await secret(ns, "git-auth");
      assert.equal(data?.identity, git.sshIdentity);
      assert.equal(data?.known_hosts, git.knownHosts);
      assert.equal(await secret(ns, "flux-system"), undefined);
      assert.equal(first.status.secretName, "git-auth");
      const plan = await planBootstrapGit("flux-system", spec("git-auth"), first.status, ctx());
      assert.deepEqual(plan.changes, { files: [], namespace: "unchanged", secret: "unchanged", cluster: [] });
    });

    test("a rename commits gotk-sync.yaml, writes the new Secret and removes the old one fluxiac created", async () => {
      const before = await applyBootstrapGit("flux-system", spec("git-auth"), undefined, ctx());
      const plan = await planBootstrapGit("flux-system", spec("repo-creds"), before.status, ctx());
      assert.deepEqual(plan.changes, { files: ["clusters/prod/flux-system/gotk-sync.yaml"], namespace: "unchanged", secret: "create", cluster: [] });
      const renamed = await applyBootstrapGit("flux-system", spec("repo-creds"), before.status, ctx());
      assert.equal(renamed.commits, 1);
      assert.deepEqual((await syncObjects(repo, "clusters/prod"))[0].spec.secretRef, { name: "repo-creds" });
      assert.equal((await secret(ns, "repo-creds"))?.identity, git.sshIdentity);
      assert.equal(await secret(ns, "git-auth"), undefined, "the old Secret fluxiac created is gone");
      assert.ok(logs.some((l) => l.includes('secretName moved from "git-auth" to "repo-creds"')));
      assert.equal((await applyBootstrapGit("flux-system", spec("repo-creds"), renamed.status, ctx())).commits, 0, "a second run makes no commit");
    });

    test("a Secret fluxiac found (made by hand) is kept when secretName moves away from it", async () => {
      const data = { identity: git.sshIdentity, "identity.pub": (await secret(ns, "repo-creds"))!["identity.pub"], known_hosts: git.knownHosts };
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "hand-made" }, stringData: data } });
      const adopted = await applyBootstrapGit("flux-system", spec("hand-made"), (await applyBootstrapGit("flux-system", spec("repo-creds"), undefined, ctx())).status, ctx());
      assert.equal(adopted.changes.secret, "unchanged", "the same credentials: the Secret is taken as it is");
      const moved = await applyBootstrapGit("flux-system", spec("back-again"), adopted.status, ctx());
      assert.equal(moved.changes.secret, "create");
      assert.ok(await secret(ns, "hand-made"), "a Secret fluxiac did not create is kept");
      assert.ok(logs.some((l) => l.includes("Secret flux-named/hand-made was not created by fluxiac for this path and is kept")));
    });

    test("import reads the bootstrap back over SSH from the one annotated Secret; two of them are an error naming both", async () => {
      const err = await importBootstrapGit("flux-system", ns, { kubeconfig: cp.kubeconfig }, ctx()).then(() => undefined, (e: Error) => e);
      assert.match(String(err?.message), /BootstrapGit "flux-system": namespace "flux-named" has several bootstrap Secrets \(back-again, hand-made\): delete the ones no longer used, then import again/);
      await core.deleteNamespacedSecret({ name: "hand-made", namespace: ns });
      const imported = await importBootstrapGit("flux-system", ns, { kubeconfig: cp.kubeconfig }, ctx());
      assert.deepEqual(imported.spec, { url: repo.sshUrl, path: "clusters/prod", branch: "main", secretName: "back-again", auth: { identity: git.sshIdentity, knownHosts: git.knownHosts } });
      assert.equal(imported.revision, `main@sha1:${await repo.head()}`);
      assert.deepEqual(Object.keys(imported.repositoryFiles).sort(), ["clusters/prod/flux-system/gotk-sync.yaml", "clusters/prod/flux-system/kustomization.yaml"]);
      assert.equal(imported.repositoryFiles["clusters/prod/flux-system/gotk-sync.yaml"], await show(repo, "clusters/prod/flux-system/gotk-sync.yaml"));
    });
  });

  describe("kustomizationOverride and commitMessageAppendix over HTTPS", () => {
    let repo: GitRepo;
    const ns = "flux-override";
    const spec = (extra: Partial<BootstrapGitSpec> = {}): BootstrapGitSpec => ({
      url: repo.httpsUrl,
      auth: { username: git.httpUser, password: git.httpPassword },
      tls: { caCert: git.caPem },
      author: AUTHOR,
      path: "clusters/staging",
      namespace: ns,
      cluster: { kubeconfig: cp.kubeconfig },
      commitMessageAppendix: APPENDIX,
      ...extra,
    });
    before(async () => {
      repo = await git.createRepo("fleet-override");
      await repo.commit({ "clusters/staging/flux-system/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n" });
    });

    test("the override replaces an existing kustomization.yaml, and every commit message ends with the appendix after a blank line", async () => {
      const plan = await planBootstrapGit("flux-system", spec({ kustomizationOverride: OVERRIDE }), undefined, ctx());
      assert.deepEqual(plan.changes.files, ["clusters/staging/flux-system/gotk-sync.yaml", "clusters/staging/flux-system/kustomization.yaml"]);
      const first = await applyBootstrapGit("flux-system", spec({ kustomizationOverride: OVERRIDE }), undefined, ctx());
      assert.equal(first.commits, 1);
      assert.equal(await show(repo, "clusters/staging/flux-system/kustomization.yaml"), OVERRIDE);
      assert.equal(first.repositoryFiles["clusters/staging/flux-system/kustomization.yaml"], OVERRIDE);
      assert.equal((await messages(repo))[0], `Add Flux sync manifests\n\n${APPENDIX}`);

      const again = await planBootstrapGit("flux-system", spec({ kustomizationOverride: OVERRIDE }), first.status, ctx());
      assert.deepEqual(again.changes.files, [], "a second plan has nothing to commit");
      assert.equal((await applyBootstrapGit("flux-system", spec({ kustomizationOverride: OVERRIDE }), first.status, ctx())).commits, 0, "a second run makes no commit");
    });

    test("an override edited in the repository is put back; without an override the file is left alone", async () => {
      await repo.commit({ "clusters/staging/flux-system/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n- extra.yaml\n" });
      const before = await count(repo);
      const put = await applyBootstrapGit("flux-system", spec({ kustomizationOverride: OVERRIDE }), undefined, ctx());
      assert.deepEqual(put.changes.files, ["clusters/staging/flux-system/kustomization.yaml"]);
      assert.equal(await show(repo, "clusters/staging/flux-system/kustomization.yaml"), OVERRIDE);
      assert.equal(await count(repo), before + 1);
      await repo.commit({ "clusters/staging/flux-system/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n- mine.yaml\n" });
      const left = await applyBootstrapGit("flux-system", spec(), put.status, ctx());
      assert.equal(left.commits, 0, "the generated file is written only when missing");
      assert.match(await show(repo, "clusters/staging/flux-system/kustomization.yaml"), /- mine\.yaml/);
    });

    test("an invalid override is refused before anything is pushed, naming kustomizationOverride", async () => {
      const fresh = await git.createRepo("fleet-override-bad");
      const cases: [string, string, boolean, RegExp][] = [
        ["not YAML", "resources: [gotk-sync.yaml\n", false, /kustomizationOverride is not valid YAML/],
        ["a list", "- gotk-sync.yaml\n", false, /kustomizationOverride must be a kustomization\.yaml mapping/],
        ["another kind", "apiVersion: v1\nkind: ConfigMap\nresources:\n- gotk-sync.yaml\n", false, /kustomizationOverride has kind "ConfigMap": it must be a kustomize Kustomization/],
        ["without gotk-sync.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- app.yaml\n", false, /kustomizationOverride must list gotk-sync\.yaml in resources/],
        ["without gotk-components.yaml when components are written", OVERRIDE, true, /kustomizationOverride must list gotk-components\.yaml in resources/],
      ];
      for (const [what, override, components, message] of cases) {
        const s = { ...spec({ kustomizationOverride: override, namespace: "flux-bad" }), url: fresh.httpsUrl, ...(components ? { components: { localPath: join(scratch, "components.yaml") } } : {}) };
        assert.deepEqual(validateBootstrapGit(s).map((p) => p.property), ["kustomizationOverride"], what);
        const err = await applyBootstrapGit("flux-system", s, undefined, ctx()).then(() => undefined, (e: Error) => e);
        assert.ok(err, `${what}: fails`);
        assert.match(err.message, /^BootstrapGit "flux-system": /, what);
        assert.match(err.message, message, what);
      }
      await assert.rejects(fresh.head(), /no branch main/, "nothing was pushed");
      assert.equal(await secret("flux-bad", "flux-system"), undefined, "nothing was written to the cluster");
    });
  });
});
