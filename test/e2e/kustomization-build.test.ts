// Kustomization build against a real API server and the real kustomize and sops: overlay options,
// commonMetadata, postBuild substitution, SOPS decryption, and confinement to the artifact.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { applyKustomization, planKustomization, type KustomizationSpec } from "../../src/core/reconcile/kustomization";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { pgpKey, sopsPgpEnv, stopAgent, type PgpKey } from "../harness/pgp";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-ks-build-"));

/** ageKey makes an age key pair with the real age-keygen. */
function ageKey(): { secret: string; recipient: string } {
  const out = execFileSync(tool("age-keygen"), [], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return { secret: /AGE-SECRET-KEY-1\S+/.exec(out)![0], recipient: /public key: (age1\S+)/.exec(out)![1] };
}

/** Recipients are the keys sops encrypts for: an age recipient and/or a PGP key (whose home holds its public key). */
type Recipients = { age?: string; pgp?: PgpKey };

/** sopsEncrypt encrypts a YAML document for recipients with the real sops, as a user would before committing it. */
function sopsEncrypt(text: string, to: Recipients, regex = "^(data|stringData)$", format = "yaml"): string {
  const file = join(mkdtempSync(join(scratch, "sops-")), "plain");
  writeFileSync(file, text);
  const keys = [...(to.age ? ["--age", to.age] : []), ...(to.pgp ? ["--pgp", to.pgp.fingerprint] : [])];
  const env = to.pgp ? sopsPgpEnv(to.pgp) : process.env;
  return execFileSync(tool("sops"), ["encrypt", ...keys, "--encrypted-regex", regex, "--input-type", format, "--output-type", format, file], { encoding: "utf8", env });
}

/** gnupgHomes counts the engine's temporary GnuPG homes, which must all be gone after every build. */
const gnupgHomes = () => readdirSync(tmpdir()).filter((n) => n.startsWith("fluxiac-gnupg-")).length;

const cm = (name: string, data: Record<string, string>, ns?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}data:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}\n`;
const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: nginx:0.9
      - name: sidecar
        image: busybox:1.0
`;
const PASSWORD = "correct-horse-battery-staple";

describe("Kustomization build", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const key = ageKey();
  const pgp = pgpKey(scratch, "fluxiac-test");
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });

  const spec = async (path: string, extra: Partial<KustomizationSpec> = {}): Promise<KustomizationSpec> => {
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("build", gitSpec, undefined, ctx());
    return { sourceRef: { kind: "GitRepository", name: "build", spec: gitSpec, artifact }, path, prune: true, cluster: { kubeconfig: cp.kubeconfig }, ...extra };
  };
  const readCM = (name: string, namespace: string) => core.readNamespacedConfigMap({ name, namespace });

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    for (const name of ["flux-system", "team-a", "team-b", "vars", "secrets"]) await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({ namespace: "flux-system", body: { metadata: { name: "cluster-vars" }, data: { A: "from-cm", B: "from-cm", WRAPPED: "multi\nline" } } });
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "cluster-secret-vars" }, stringData: { B: "from-secret", C: "from-secret" } } });
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "sops-age" }, stringData: { "identity.agekey": key.secret } } });
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "sops-pgp" }, stringData: { "fluxiac.asc": pgp.armored } } });
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "sops-mixed" }, stringData: { "identity.agekey": key.secret, "fluxiac.asc": pgp.armored } } });
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "sops-bad-asc" }, stringData: { "broken.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot-base64-s3cret\n-----END PGP PRIVATE KEY BLOCK-----\n" } } });
    repo = await git.createRepo("build");
    const encryptedEnv = sopsEncrypt(`DB_USER=admin\nDB_PASSWORD=${PASSWORD}\n`, { age: key.recipient }, ".*", "dotenv");
    const pgpEnv = sopsEncrypt(`DB_USER=pgp-admin\nDB_PASSWORD=${PASSWORD}\n`, { pgp }, ".*", "dotenv");
    const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: secrets\ntype: Opaque\nstringData:\n  password: ${PASSWORD}\n`;
    await repo.commit({
      "app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deploy.yaml\n- settings.yaml\nimages:\n- name: nginx\n  newTag: \"1.0\"\n",
      "app/deploy.yaml": DEPLOY,
      "app/settings.yaml": cm("settings", { mode: "prod" }),
      "components/labels/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n- pairs: { component: labels }\n",
      "plain/one.yaml": cm("one", { v: "1" }),
      "plain/nested/two.yaml": cm("two", { v: "2" }),
      "vars/config.yaml": cm("config", { a: "${A}", b: "${B}", c: "${C}", d: "${D:=default-d}", wrapped: "${WRAPPED}", home: "$HOME", escaped: "$${A}" }, "vars"),
      "vars/count.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: count\n  namespace: vars\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  raw: \"${NOT_DEFINED}\"\n",
      "strict/config.yaml": cm("strict", { region: "${cluster_region}" }, "vars"),
      "sops/secret.yaml": sopsEncrypt(secret("db"), { age: key.recipient }),
      "sops-pgp/kustomization.yaml": "resources:\n- secret.yaml\nsecretGenerator:\n- name: pgp-env\n  namespace: secrets\n  envs:\n  - creds.env\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
      "sops-pgp/secret.yaml": sopsEncrypt(secret("db-pgp"), { pgp }),
      "sops-pgp/creds.env": pgpEnv,
      "sops-pgp-secret/secret.yaml": sopsEncrypt(secret("db-pgp"), { pgp }),
      "sops-mixed/age.yaml": sopsEncrypt(secret("mixed-age"), { age: key.recipient }),
      "sops-mixed/pgp.yaml": sopsEncrypt(secret("mixed-pgp"), { pgp }),
      "sops/plain.yaml": cm("plain", { v: "ok" }, "secrets"),
      "sops-gen/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n- name: creds\n  namespace: secrets\n  files:\n  - creds.yaml\n- name: env-creds\n  namespace: secrets\n  envs:\n  - creds.env\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
      "sops-env/kustomization.yaml": "secretGenerator:\n- name: env-creds\n  namespace: secrets\n  envs:\n  - creds.env\n",
      "sops-env/creds.env": encryptedEnv,
      "sops-gen/creds.env": encryptedEnv,
      "sops-gen/creds.yaml": sopsEncrypt(`user: admin\npassword: ${PASSWORD}\n`, { age: key.recipient }, "^password$"),
      "escape/resources/kustomization.yaml": "resources:\n- ../../../outside.yaml\n",
      "escape/component/kustomization.yaml": "resources:\n- cm.yaml\ncomponents:\n- ../../../../etc\n",
      "escape/base/kustomization.yaml": "resources:\n- ../../app\n- ../../nowhere/../../../tmp\n",
      "escape/component/cm.yaml": cm("escape", { v: "1" }),
      "remote/kustomization.yaml": "resources:\n- https://github.com/example/repo//deploy?ref=v1.0.0\n",
    });
  });
  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
    stopAgent(pgp);
    rmSync(scratch, { recursive: true, force: true });
  });

  describe("overlay options", () => {
    test("targetNamespace, namePrefix/Suffix, patches, images, components and commonMetadata reach the cluster", async () => {
      const s = await spec("./app", {
        targetNamespace: "team-a",
        namePrefix: "pre-",
        nameSuffix: "-suf",
        images: [
          { name: "nginx", newName: "registry.example.com/nginx", digest: "sha256:0a5b8d3e3a2f8bb5a2c1a3bf0b70dfa5e0c6c1c2f3e4d5c6b7a8998877665544" },
          { name: "busybox", newTag: "1.36" },
        ],
        patches: [
          { patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: not-used\nspec:\n  replicas: 3\n", target: { kind: "Deployment", name: "web" } },
          { patch: '[{"op": "add", "path": "/data/patched", "value": "json6902"}]', target: { version: "v1", kind: "ConfigMap", labelSelector: "!missing" } },
        ],
        components: ["../components/labels"],
        commonMetadata: { labels: { team: "a" }, annotations: { "example.com/owner": "platform" } },
      });
      const plan = await planKustomization("overlay", s, undefined, ctx());
      assert.deepEqual(plan.changes.create.sort(), ["team-a_pre-settings-suf__ConfigMap", "team-a_pre-web-suf_apps_Deployment"]);
      await applyKustomization("overlay", s, undefined, ctx());
      const d = await apps.readNamespacedDeployment({ name: "pre-web-suf", namespace: "team-a" });
      assert.equal(d.spec?.replicas, 3, "strategic merge patch");
      assert.deepEqual(
        d.spec?.template.spec?.containers.map((c) => c.image),
        ["registry.example.com/nginx@sha256:0a5b8d3e3a2f8bb5a2c1a3bf0b70dfa5e0c6c1c2f3e4d5c6b7a8998877665544", "busybox:1.36"],
        "the nginx entry is replaced as a whole (its newTag is gone), busybox is added",
      );
      assert.equal(d.metadata?.labels?.component, "labels", "component");
      assert.equal(d.metadata?.labels?.team, "a", "commonMetadata label");
      assert.equal(d.metadata?.annotations?.["example.com/owner"], "platform", "commonMetadata annotation");
      const settings = await readCM("pre-settings-suf", "team-a");
      assert.deepEqual(settings.data, { mode: "prod", patched: "json6902" }, "JSON 6902 patch");
      assert.equal(settings.metadata?.labels?.team, "a");
    });

    test("a path without a kustomization file gets the options on the generated one", async () => {
      const s = await spec("./plain", { targetNamespace: "team-b", namePrefix: "gen-" });
      const result = await applyKustomization("generated", s, undefined, ctx());
      assert.deepEqual(result.inventory.entries.map((e) => e.id), ["team-b_gen-one__ConfigMap", "team-b_gen-two__ConfigMap"]);
    });

    const componentCases: { name: string; extra: Partial<KustomizationSpec>; error?: RegExp }[] = [
      { name: "a missing component fails, naming it and the fix", extra: { components: ["../components/labels", "../components/absent"] }, error: /component "..\/components\/absent" does not exist; fix components or set ignoreMissingComponents/ },
      { name: "ignoreMissingComponents skips a missing component", extra: { components: ["../components/labels", "../components/absent"], ignoreMissingComponents: true } },
      { name: "an absolute component path fails", extra: { components: ["/etc"] }, error: /component path "\/etc" must be relative/ },
    ];
    for (const c of componentCases) {
      test(c.name, async () => {
        const plan = planKustomization("components", await spec("./plain", { targetNamespace: "team-b", ...c.extra }), undefined, ctx());
        if (c.error) await assert.rejects(plan, (err: Error) => /^Kustomization "components": /.test(err.message) && c.error!.test(err.message));
        else assert.equal((await plan).changes.create.length, 2);
      });
    }
  });

  describe("postBuild substitution", () => {
    test("substituteFrom in list order, then inline substitute; newlines stripped; $var and $${var} kept; opt-out honoured", async () => {
      const s = await spec("./vars", {
        postBuild: {
          substituteFrom: [
            { kind: "ConfigMap", name: "cluster-vars" },
            { kind: "Secret", name: "cluster-secret-vars" },
            { kind: "ConfigMap", name: "absent-but-optional", optional: true },
          ],
          substitute: { C: "inline" },
        },
      });
      await applyKustomization("vars", s, undefined, ctx());
      assert.deepEqual((await readCM("config", "vars")).data, { a: "from-cm", b: "from-secret", c: "inline", d: "default-d", wrapped: "multiline", home: "$HOME", escaped: "${A}" });
      assert.deepEqual((await readCM("count", "vars")).data, { raw: "${NOT_DEFINED}" }, "kustomize.toolkit.fluxcd.io/substitute: disabled");
    });

    test("the plan's object digests kept in state are keyed by the secret material, so they reveal none of it", async () => {
      // The same objects built with different values of a variable they do not use: only a keyed digest differs.
      const digests = async (value: string) =>
        (await planKustomization("keyed", await spec("./plain", { postBuild: { substitute: { UNUSED: value } } }), undefined, ctx())).objects;
      const [a, b, again] = [await digests("hunter2"), await digests("correct-horse"), await digests("hunter2")];
      assert.ok(Object.keys(a).length > 0);
      assert.deepEqual(Object.keys(a), Object.keys(b));
      for (const id of Object.keys(a)) assert.notEqual(a[id], b[id], id);
      assert.deepEqual(a, again, "the digests are deterministic for the same material");
    });

    test("a missing required substituteFrom ConfigMap fails naming it; nothing is applied or pruned", async () => {
      const s = await spec("./vars", { postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "nope" }] } });
      for (const verb of [planKustomization, applyKustomization]) {
        await assert.rejects(verb("vars", s, undefined, ctx()), /Kustomization "vars": postBuild.substituteFrom ConfigMap\/flux-system\/nope not found; create it, or mark the reference optional: true/);
      }
      assert.equal((await readCM("config", "vars")).data?.a, "from-cm", "the applied object is untouched");
    });

    test("an undefined variable fails in strict mode, naming the variable and the object; nothing is applied or pruned", async () => {
      const before = await spec("./vars", { postBuild: { substitute: { A: "one", B: "two", C: "three", WRAPPED: "w" } } });
      const applied = await applyKustomization("strict", before, undefined, ctx());
      const s = await spec("./strict", { postBuild: { substitute: { A: "1" } } });
      await assert.rejects(
        applyKustomization("strict", s, { inventory: applied.inventory }, ctx()),
        /Kustomization "strict": postBuild substitution of ConfigMap\/vars\/strict failed: variable "cluster_region" is not set \(strict mode\)/,
      );
      await assert.rejects(readCM("strict", "vars"), "nothing applied");
      assert.equal((await readCM("config", "vars")).data?.a, "one", "nothing pruned");
    });
  });

  describe("SOPS decryption", () => {
    const cases: { name: string; decryption: KustomizationSpec["decryption"] }[] = [
      { name: "age keys given inline", decryption: { provider: "sops", keys: [key.secret] } },
      { name: "age keys from secretRef's *.agekey entries", decryption: { provider: "sops", secretRef: { name: "sops-age" } } },
    ];
    for (const c of cases) {
      test(`an encrypted Secret is decrypted with ${c.name}`, async () => {
        await applyKustomization("sops", await spec("./sops", { decryption: c.decryption }), undefined, ctx());
        const secret = await core.readNamespacedSecret({ name: "db", namespace: "secrets" });
        assert.equal(Buffer.from(secret.data!.password, "base64").toString(), PASSWORD);
        await core.deleteNamespacedSecret({ name: "db", namespace: "secrets" });
      });
    }

    test("secretGenerator files and env files encrypted with sops are decrypted into the Secrets", async () => {
      await applyKustomization("sops-gen", await spec("./sops-gen", { decryption: { provider: "sops", keys: [key.secret] } }), undefined, ctx());
      const value = Buffer.from((await core.readNamespacedSecret({ name: "creds", namespace: "secrets" })).data!["creds.yaml"], "base64").toString();
      assert.match(value, new RegExp(`password: ${PASSWORD}`));
      assert.doesNotMatch(value, /sops|ENC\[/);
      const env = (await core.readNamespacedSecret({ name: "env-creds", namespace: "secrets" })).data!;
      assert.deepEqual(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])), { DB_USER: "admin", DB_PASSWORD: PASSWORD });
    });

    test("a secretGenerator env file encrypted with sops fails without decryption, naming the Secret", async () => {
      await assert.rejects(planKustomization("sops-env", await spec("./sops-env"), undefined, ctx()), /Kustomization "sops-env": Secret\/secrets\/env-creds-[a-z0-9]+ is encrypted with SOPS but decryption is not configured/);
    });

    const secretValues = async (name: string) =>
      Object.fromEntries(Object.entries((await core.readNamespacedSecret({ name, namespace: "secrets" })).data!).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));

    const pgpCases: { name: string; decryption: KustomizationSpec["decryption"] }[] = [
      { name: "a PGP key from secretRef's *.asc entry", decryption: { provider: "sops", secretRef: { name: "sops-pgp" } } },
      { name: "an armoured PGP key given inline", decryption: { provider: "sops", keys: [pgp.armored] } },
    ];
    for (const c of pgpCases) {
      test(`a Secret and a secretGenerator env file encrypted with sops --pgp are decrypted with ${c.name}`, async () => {
        const homes = gnupgHomes();
        await applyKustomization("sops-pgp", await spec("./sops-pgp", { decryption: c.decryption }), undefined, ctx());
        assert.deepEqual(await secretValues("db-pgp"), { password: PASSWORD });
        assert.deepEqual(await secretValues("pgp-env"), { DB_USER: "pgp-admin", DB_PASSWORD: PASSWORD });
        assert.equal(gnupgHomes(), homes, "the temporary GnuPG home is removed after the build");
        for (const name of ["db-pgp", "pgp-env"]) await core.deleteNamespacedSecret({ name, namespace: "secrets" });
      });
    }

    test("age and PGP keys in one secretRef Secret decrypt Secrets encrypted for either", async () => {
      await applyKustomization("sops-mixed", await spec("./sops-mixed", { decryption: { provider: "sops", secretRef: { name: "sops-mixed" } } }), undefined, ctx());
      assert.deepEqual(await secretValues("mixed-age"), { password: PASSWORD });
      assert.deepEqual(await secretValues("mixed-pgp"), { password: PASSWORD });
    });

    const failures: { name: string; decryption: KustomizationSpec["decryption"]; error: RegExp }[] = [
      { name: "without decryption configured", decryption: undefined, error: /Secret\/secrets\/db is encrypted with SOPS but decryption is not configured; set decryption/ },
      { name: "with a key it was not encrypted for", decryption: { provider: "sops", keys: [ageKey().secret] }, error: /decrypting Secret\/secrets\/db failed: .*; check that decryption holds the age key/ },
      { name: "with a missing secretRef", decryption: { provider: "sops", secretRef: { name: "absent" } }, error: /decryption.secretRef Secret\/flux-system\/absent not found/ },
    ];
    const missingPgp = (what: string) => new RegExp(`decrypting ${what} failed: .*; it is encrypted for PGP key ${pgp.fingerprint}: add that private key as an \\*\\.asc entry of the decryption.secretRef Secret`);
    const pgpFailures: { name: string; path: string; decryption: KustomizationSpec["decryption"]; error: RegExp }[] = [
      { name: "for a PGP key decryption does not hold", path: "./sops-pgp-secret", decryption: { provider: "sops", secretRef: { name: "sops-age" } }, error: missingPgp("Secret/secrets/db-pgp") },
      { name: "in its secretGenerator env file for a PGP key decryption does not hold", path: "./sops-pgp", decryption: { provider: "sops", keys: [key.secret] }, error: missingPgp('secretGenerator source "creds.env"') },
      { name: "with an *.asc entry gpg cannot import", path: "./sops-pgp", decryption: { provider: "sops", secretRef: { name: "sops-bad-asc" } }, error: /entry "broken.asc" of Secret\/flux-system\/sops-bad-asc cannot be imported as a PGP private key/ },
    ];
    for (const f of pgpFailures) {
      test(`a PGP-encrypted Secret fails ${f.name}, naming it, and leaks no key or value`, async () => {
        const homes = gnupgHomes();
        const err = await planKustomization("sops-pgp", await spec(f.path, { decryption: f.decryption }), undefined, ctx()).then(
          () => assert.fail("the plan should fail"),
          (e: Error) => e,
        );
        assert.match(err.message, /^Kustomization "sops-pgp": /);
        assert.match(err.message, f.error);
        assert.ok(!/PASSWORD|s3cret|AGE-SECRET-KEY|PRIVATE KEY BLOCK/.test(err.message.replace(/\*\.asc/g, "")) && !err.message.includes(PASSWORD), "no secret in the message");
        assert.equal(gnupgHomes(), homes, "the temporary GnuPG home is removed after a failure too");
      });
    }

    for (const f of failures) {
      test(`an encrypted Secret fails ${f.name}, naming the object, and leaks no key or value`, async () => {
        const err = await planKustomization("sops", await spec("./sops", { decryption: f.decryption }), undefined, ctx()).then(
          () => assert.fail("the plan should fail"),
          (e: Error) => e,
        );
        assert.match(err.message, /^Kustomization "sops": /);
        assert.match(err.message, f.error);
        assert.ok(!err.message.includes(PASSWORD) && !err.message.includes("AGE-SECRET-KEY"), "no secret in the message");
      });
    }
  });

  describe("confinement", () => {
    const cases: { path: string; error: RegExp; extra?: Partial<KustomizationSpec> }[] = [
      { path: "./escape/resources", error: /escape\/resources\/kustomization.yaml: resources "..\/..\/..\/outside.yaml" resolves outside the artifact root/ },
      { path: "./escape/component", error: /escape\/component\/kustomization.yaml: components "..\/..\/..\/..\/etc" resolves outside the artifact root/ },
      { path: "./escape/base", error: /escape\/base\/kustomization.yaml: resources "..\/..\/nowhere\/..\/..\/..\/tmp" resolves outside the artifact root/ },
      { path: "./plain", extra: { components: ["../../.."] }, error: /plain\/kustomization.yaml: components "..\/..\/.." resolves outside the artifact root/ },
      { path: "./remote", error: /remote\/kustomization.yaml: resources "https:\/\/github.com\/example\/repo\/\/deploy\?ref=v1.0.0" is a remote base; vendor it into the source, or set allowRemoteBases: true/ },
    ];
    for (const c of cases) {
      test(`${c.path}${c.extra ? " with an outside component" : ""} is rejected, naming the file and the reference`, async () => {
        await assert.rejects(planKustomization("confined", await spec(c.path, c.extra), undefined, ctx()), (err: Error) => /^Kustomization "confined": /.test(err.message) && c.error.test(err.message));
      });
    }

    test("allowRemoteBases lets kustomize try the remote base", async () => {
      await repo.commit({ "remote-local/kustomization.yaml": "resources:\n- http://127.0.0.1:1/deploy.yaml\n" });
      const s = await spec("./remote-local", { allowRemoteBases: true });
      await assert.rejects(planKustomization("remote", s, undefined, ctx()), (err: Error) => /kustomize build of ".\/remote-local" .* failed/.test(err.message) && !/allowRemoteBases/.test(err.message));
      await assert.rejects(planKustomization("remote", { ...s, allowRemoteBases: false }, undefined, ctx()), /is a remote base; .*set allowRemoteBases: true/);
    });
  });
});
