// A path with no kustomization file, no overlay options and only plain objects is built without running
// kustomize. These tests pin that shortcut to kustomize's own output, and the cases it leaves to kustomize.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pack } from "../../src/core/artifact/archive";
import { generateKustomization } from "../../src/core/build/generator";
import { buildKustomization, type KubeObject } from "../../src/core/build/kustomize";
import { canonicalJson } from "../../src/core/canonical-json";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-build-identity-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const object = { kind: "Kustomization", name: "identity" };

/** tree writes files (path -> content) into a new directory under scratch and returns it. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, "tree-"));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

/** artifact packs files into a tar.gz the way a source does. */
async function artifact(files: Record<string, string>): Promise<string> {
  const dest = join(mkdtempSync(join(scratch, "artifact-")), "artifact.tar.gz");
  await pack(tree(files), dest);
  return dest;
}

/** rendered renders objects canonically, in their order, for comparison. */
function rendered(objects: KubeObject[]): string[] {
  return objects.map(canonicalJson);
}

const ODD_SCALARS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: odd
  namespace: apps
  labels:
    app: odd
  annotations:
    note: "yes"
data:
  octal: "0777"
  bare: yes
  number-like: "1.0"
  empty: ""
  multiline: |
    line one
    line two
  folded: >
    folded
    text
---
apiVersion: v1
kind: Service
metadata:
  name: odd
  namespace: apps
  labels: &labels
    app: odd
spec:
  selector: *labels
  ports:
    - port: 80
      targetPort: 8080
---
# only a comment
`;

/** KINDS mixes kinds, groups, versions and namespaces in an order kustomize will change. */
const KINDS = [
  "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: z-hook\nwebhooks: []\n",
  "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\n  namespace: apps\n",
  "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: gear\n  namespace: apps\n",
  "apiVersion: other.io/v1\nkind: Gadget\nmetadata:\n  name: a\n",
  "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n",
  "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n  namespace: b-team\n",
  "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n  namespace: a-team\n",
  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec: {}\n",
  "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: a-hook\nwebhooks: []\n",
  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b-team\n",
  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a-team\n",
  "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n  namespace: apps\n",
].join("---\n");

function workload(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    files[`apps/app-${i}/deploy.yaml`] = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: apps
spec:
  replicas: ${i % 3}
  selector:
    matchLabels: {app: app-${i}}
  template:
    metadata:
      labels: {app: app-${i}}
    spec:
      containers:
        - name: app
          image: example.com/app:${i}.0
          env:
            - {name: N, value: "${i}"}
          resources: {}
`;
    files[`apps/app-${i}/config.yml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-${i}, namespace: apps}\ndata: {index: "${i}"}\n`;
  }
  return files;
}

test("a plain directory builds to exactly what kustomize emits", async () => {
  // Given a tree of plain manifests with odd scalars, anchors, comments, non-Kubernetes YAML and an ignored file
  const path = await artifact({
    ...workload(20),
    "apps/odd.yaml": ODD_SCALARS,
    "apps/kinds.yaml": KINDS,
    "apps/values.yaml": "replicas: 3\n",
    "apps/notes.txt": "not yaml",
    "apps/skipped/ignored.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n",
    ".sourceignore": "apps/skipped/\n",
  });
  // When it is built with the shortcut and with kustomize
  const fast = await buildKustomization(path, "main@sha1:1", "./apps", object);
  const slow = await buildKustomization(path, "main@sha1:1", "./apps", object, { alwaysKustomize: true });
  // Then both give the same objects, in the same order
  assert.equal(fast.objects.length, 54);
  assert.deepEqual(rendered(fast.objects), rendered(slow.objects));
  const odd = fast.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "odd")!;
  assert.deepEqual(odd.data, { octal: "0777", bare: "yes", "number-like": "1.0", empty: "", multiline: "line one\nline two\n", folded: "folded text\n" });
});

test("the generator hands over objects only when kustomize would emit them unchanged", async () => {
  const cm = (name: string, extra = "") => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
  const cases: { name: string; files: Record<string, string>; plain: boolean }[] = [
    { name: "plain files", files: { "a.yaml": cm("a"), "b/c.yaml": cm("c") }, plain: true },
    { name: "a nested kustomization", files: { "a.yaml": cm("a"), "b/kustomization.yaml": "resources: []\n" }, plain: false },
    { name: "a List", files: { "a.yaml": `apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems: []\n` }, plain: false },
    { name: "a repeated id", files: { "a.yaml": cm("a"), "b.yaml": cm("a") }, plain: false },
    { name: "a kustomize annotation", files: { "a.yaml": cm("a", "  annotations:\n    config.kubernetes.io/index: '0'\n") }, plain: false },
    { name: "a kustomize config object", files: { "a.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n" }, plain: false },
    { name: "an object without a name", files: { "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n" }, plain: false },
  ];
  for (const c of cases) {
    const root = tree(c.files);
    const generated = await generateKustomization(root, root);
    assert.equal(generated?.objects !== undefined, c.plain, c.name);
  }
});

test("a repeated id is left to kustomize, which names it", async () => {
  const path = await artifact({
    "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n",
    "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n",
  });
  await assert.rejects(buildKustomization(path, "main@sha1:2", "./", object), /Kustomization "identity": kustomize build of ".\/" at main@sha1:2 failed: .*already registered id/);
});

test("overlay options still go through kustomize", async () => {
  const path = await artifact({ "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" });
  const built = await buildKustomization(path, "main@sha1:3", "./", object, { namePrefix: "p-", targetNamespace: "t" });
  assert.equal(built.objects[0].metadata.name, "p-a");
  assert.equal(built.objects[0].metadata.namespace, "t");
});
