// Every source resource of fluxiac's Terraform provider under real terraform: an OCIRepository and a
// Bucket feeding Kustomizations, and a HelmRepository, against a real registry, S3 server, chart
// repository and API server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { pushArtifact } from "../../src/core/source/oci/push";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";
import { startS3Server, type S3Server } from "../harness/s3-server";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";

const NS = "sources";
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-sources-"));

const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n  value: "${value}"\n`;

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(scratch, "tree-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}`);
  return c.change;
}

describe("OCI, Bucket and HelmRepository resources under terraform", () => {
  let cp: ControlPlane;
  let reg: OCIRegistry;
  let s3: S3Server;
  let charts: HelmRepoServer;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;
  const cm = (name: string) => core.readNamespacedConfigMap({ name, namespace: NS });
  const push = async (value: string) =>
    (await pushArtifact({ dir: await tree({ "deploy/cm.yaml": configMap("from-oci", value) }), url: reg.url("fleet/app"), tag: "v1", insecure: true, auth: { username: reg.username, password: reg.password } })).digest;

  const config = (oci: Record<string, unknown> = {}) => ({
    terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
    provider: { fluxiac: { config_raw: cp.kubeconfig } },
    resource: {
      fluxiac_oci_repository: { app: { name: "app", url: reg.url("fleet/app"), ref: { tag: "v1" }, insecure: true, auth: { username: reg.username, password: reg.password }, ...oci } },
      fluxiac_bucket: { fleet: { name: "fleet", bucket_name: "fleet", endpoint: s3.endpoint, insecure: true, region: s3.region, auth: { access_key: s3.accessKey, secret_key: s3.secretKey } } },
      fluxiac_helm_repository: { charts: { name: "charts", url: charts.url, auth: { username: charts.username, password: charts.password } } },
      fluxiac_kustomization: {
        oci: { name: "oci", source_ref: "${fluxiac_oci_repository.app.source_reference}", path: "./deploy", prune: true },
        bucket: { name: "bucket", source_ref: "${fluxiac_bucket.fleet.source_reference}", path: "./deploy", prune: true },
      },
    },
  });

  before(async () => {
    [cp, reg, s3, charts] = await Promise.all([startControlPlane(), startOCIRegistry({ parent: scratch, auth: "htpasswd" }), startS3Server({ parent: scratch }), startHelmRepo({ dir: scratch, auth: true })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await push("one");
    await s3.createBucket("fleet");
    await s3.put("fleet", "deploy/cm.yaml", configMap("from-bucket", "one"));
    await charts.addChart({ name: "app", version: "1.0.0" });
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig(config());
    await tf.must("init", "-input=false", "-no-color");
  });

  after(async () => {
    await Promise.all([cp?.stop(), reg?.stop(), s3?.stop(), charts?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the plan shows each source's artifact in Flux's revision format; apply deploys from OCI and from the bucket", async () => {
    const plan = await tf.planJson();
    const revision = (address: string) => (change(plan, address).after?.artifact as { revision: string } | null)?.revision;
    assert.match(revision("fluxiac_oci_repository.app") ?? "", /^v1@sha256:[0-9a-f]{64}$/);
    assert.match(revision("fluxiac_bucket.fleet") ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.match(revision("fluxiac_helm_repository.charts") ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual((change(plan, "fluxiac_kustomization.oci").after?.plan as { create: string[] }).create, ["ConfigMap/sources/from-oci"]);
    assert.deepEqual((change(plan, "fluxiac_kustomization.bucket").after?.plan as { create: string[] }).create, ["ConfigMap/sources/from-bucket"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("from-oci")).data?.value, "one");
    assert.equal((await cm("from-bucket")).data?.value, "one");
    const again = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(again.code, 0, `no changes after apply:\n${again.stdout}${again.stderr}`);
  });

  test("a new artifact under the same tag and a changed object in the bucket show in the plan and apply", async () => {
    const digest = await push("two");
    await s3.put("fleet", "deploy/cm.yaml", configMap("from-bucket", "two"));
    const plan = await tf.planJson();
    assert.equal((change(plan, "fluxiac_oci_repository.app").after?.artifact as { revision: string }).revision, `v1@${digest}`);
    assert.deepEqual(change(plan, "fluxiac_bucket.fleet").actions, ["update"]);
    assert.deepEqual(change(plan, "fluxiac_helm_repository.charts").actions, ["no-op"], "an unchanged index is no change");
    assert.deepEqual((change(plan, "fluxiac_kustomization.oci").after?.plan as { update: string[] }).update, ["ConfigMap/sources/from-oci"]);
    assert.deepEqual((change(plan, "fluxiac_kustomization.bucket").after?.plan as { update: string[] }).update, ["ConfigMap/sources/from-bucket"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("from-oci")).data?.value, "two");
    assert.equal((await cm("from-bucket")).data?.value, "two");
  });

  test("an invalid OCI url is reported on the url attribute", async () => {
    await tf.writeConfig(config({ url: "https://not-oci.example/app" }));
    const r = await tf.terraform("validate", "-json");
    const result = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { summary: string; snippet?: { code: string } }[] };
    assert.equal(result.valid, false);
    const d = result.diagnostics.find((x) => x.summary.startsWith('OCIRepository "app": '));
    assert.ok(d, `fluxiac's diagnostic: ${r.stdout}`);
    assert.match(d.snippet?.code ?? "", /"url": "https:\/\/not-oci\.example\/app"/);
    await tf.writeConfig(config());
  });

  test("renaming a source replaces it; other fields update it in place", async () => {
    const renamed = config();
    renamed.resource.fluxiac_helm_repository.charts.name = "charts-renamed";
    Object.assign(renamed.resource.fluxiac_bucket.fleet, { timeout: "90s" });
    await tf.writeConfig(renamed);
    const plan = await tf.planJson();
    assert.deepEqual(change(plan, "fluxiac_helm_repository.charts").actions, ["delete", "create"]);
    assert.deepEqual(change(plan, "fluxiac_bucket.fleet").actions, ["update"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    const again = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(again.code, 0, `no changes after apply:\n${again.stdout}${again.stderr}`);
  });

  test("destroy prunes what both Kustomizations applied", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    for (const name of ["from-oci", "from-bucket"]) await assert.rejects(cm(name), (e: { code?: number }) => e.code === 404, `${name} is gone`);
  });
});
