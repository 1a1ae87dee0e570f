// The HelmRelease and BootstrapGit constructs: the Terraform JSON they synthesize (references, values as
// JSON, the self-management loop wired to sync), their typed getters and synth-time validation. Synth only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TerraformOutput, TerraformVariable, type TerraformStack } from "cdktf";
import { BootstrapGit, GitRepository, HelmRelease, HelmRepository, Kustomization, OCIRepository, synthFluxiac } from "../../src/cdktf";

test("HelmRelease: chart.spec.sourceRef and chartRef are references, values a JSON string, dependsOn the dependency attribute", () => {
  const synth = synthFluxiac((stack) => {
    const charts = new HelmRepository(stack, "charts", { url: "https://charts.example.com" });
    const oci = new OCIRepository(stack, "db-chart", { url: "oci://registry.example.com/charts/db" });
    const color = new TerraformVariable(stack, "color", { type: "string" });
    const db = new HelmRelease(stack, "db", { chartRef: oci, values: { auth: { enabled: true } } });
    const web = new HelmRelease(stack, "web", {
      chart: { spec: { chart: "app", version: "^1.0.0", sourceRef: charts } },
      targetNamespace: "shop",
      install: { createNamespace: true, disableOpenAPIValidation: true },
      values: { color: color.stringValue, replicas: 2 },
      valuesFrom: [{ kind: "Secret", name: "web-secret", valuesKey: "token", targetPath: "auth.token" }],
      driftDetection: { mode: "enabled" },
      commonMetadata: { labels: { "app.kubernetes.io/part-of": "shop" } },
      dependsOn: [db],
    });
    for (const [name, value] of Object.entries({
      chartVersion: web.chartVersion, valuesDigest: web.valuesDigest, revision: web.revision, status: web.status, release: web.release,
      action: web.plan.action, reason: web.plan.reason, objects: web.plan.objects, drift: web.drift, dependency: web.dependency,
    })) new TerraformOutput(stack, name, { value });
  });
  const web = synth.resource("fluxiac_helm_release", "web");
  assert.deepEqual(web.chart, { spec: { chart: "app", version: "^1.0.0", source_ref: "${fluxiac_helm_repository.charts.source_reference}" } });
  assert.deepEqual(web.install, { create_namespace: true, disable_open_api_validation: true });
  assert.equal(web.values, '${jsonencode({"color" = var.color, "replicas" = 2})}', "values holding a reference go through jsonencode");
  assert.deepEqual(web.values_from, [{ kind: "Secret", name: "web-secret", values_key: "token", target_path: "auth.token" }]);
  assert.deepEqual(web.common_metadata, { labels: { "app.kubernetes.io/part-of": "shop" } });
  assert.deepEqual(web.dependencies, ["${fluxiac_helm_release.db.dependency}"]);
  const db = synth.resource("fluxiac_helm_release", "db");
  assert.equal(db.chart_ref, "${fluxiac_oci_repository.db-chart.source_reference}");
  assert.equal(db.values, '{"auth":{"enabled":true}}', "literal values are written as JSON");
  const outputs = synth.config.output as Record<string, { value: unknown }>;
  assert.deepEqual(
    Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value])),
    {
      chartVersion: "${fluxiac_helm_release.web.chart_version}", valuesDigest: "${fluxiac_helm_release.web.values_digest}", revision: "${fluxiac_helm_release.web.revision}",
      status: "${fluxiac_helm_release.web.status}", release: "${fluxiac_helm_release.web.release}", action: "${fluxiac_helm_release.web.plan.action}",
      reason: "${fluxiac_helm_release.web.plan.reason}", objects: "${fluxiac_helm_release.web.plan.objects}", drift: "${fluxiac_helm_release.web.drift}",
      dependency: "${fluxiac_helm_release.web.dependency}",
    },
  );
});

test("BootstrapGit: the self-management loop wired to its sync, known hosts and deploy key getters", () => {
  const synth = synthFluxiac((stack) => {
    const pushKey = new TerraformVariable(stack, "push_key", { type: "string", sensitive: true });
    const boot = new BootstrapGit(stack, "flux", {
      name: "flux-system",
      url: "ssh://git@git.example.com/fleet.git",
      auth: { identity: pushKey.stringValue },
      scanKnownHosts: true,
      generateDeployKey: { algorithm: "ed25519" },
      path: "clusters/prod",
      components: { sourceRef: new GitRepository(stack, "flux-manifests", { url: "https://git.example.com/flux.git" }), path: "v2.8.5" },
    });
    const repo = new GitRepository(stack, "loop", {
      name: "flux-system",
      url: boot.sync.url,
      ref: { branch: boot.sync.branch },
      ignore: boot.sync.ignore,
      auth: { identity: pushKey.stringValue, knownHosts: boot.knownHosts },
    });
    new Kustomization(stack, "loop-ks", { name: boot.fluxName, sourceRef: repo, path: boot.sync.path, prune: true, deletionPolicy: "Orphan" });
    new TerraformOutput(stack, "deploy_key", { value: boot.deployKeyPublic });
    new TerraformOutput(stack, "files", { value: boot.plan.files });
    new TerraformOutput(stack, "repository_files", { value: boot.repositoryFiles });
    new TerraformOutput(stack, "revision", { value: boot.revision });
  });
  const boot = synth.resource("fluxiac_bootstrap_git", "flux");
  assert.deepEqual(boot, {
    name: "flux-system",
    url: "ssh://git@git.example.com/fleet.git",
    auth: { identity: "${var.push_key}" },
    scan_known_hosts: true,
    generate_deploy_key: { algorithm: "ed25519" },
    path: "clusters/prod",
    components: { source_ref: "${fluxiac_git_repository.flux-manifests.source_reference}", path: "v2.8.5" },
  });
  assert.deepEqual(synth.resource("fluxiac_git_repository", "loop"), {
    name: "flux-system",
    url: "${fluxiac_bootstrap_git.flux.sync.url}",
    ref: { branch: "${fluxiac_bootstrap_git.flux.sync.branch}" },
    ignore: "${fluxiac_bootstrap_git.flux.sync.ignore}",
    auth: { identity: "${var.push_key}", known_hosts: "${fluxiac_bootstrap_git.flux.known_hosts}" },
  });
  const ks = synth.resource("fluxiac_kustomization", "loop-ks");
  assert.deepEqual([ks.name, ks.path, ks.source_ref], ["flux-system", "${fluxiac_bootstrap_git.flux.sync.path}", "${fluxiac_git_repository.loop.source_reference}"]);
  const outputs = synth.config.output as Record<string, { value: unknown }>;
  assert.equal(outputs.deploy_key.value, "${fluxiac_bootstrap_git.flux.deploy_key_public}");
  assert.equal(outputs.files.value, "${fluxiac_bootstrap_git.flux.plan.files}");
  assert.equal(outputs.repository_files.value, "${fluxiac_bootstrap_git.flux.repository_files}");
  assert.equal(outputs.revision.value, "${fluxiac_bootstrap_git.flux.revision}");
});

test("invalid HelmRelease and BootstrapGit props fail the synth naming the construct and the prop", () => {
  const charts = (stack: TerraformStack) => new HelmRepository(stack, "charts", { url: "https://c" });
  const chart = (stack: TerraformStack) => ({ spec: { chart: "app", sourceRef: charts(stack) } });
  const cases: { title: string; build: (stack: TerraformStack) => void; error: RegExp }[] = [
    { title: "no chart", build: (stack) => new HelmRelease(stack, "web", {}), error: /\[stack\/web\] HelmRelease "web": set chart \(chart\.spec\.sourceRef/ },
    {
      title: "a Kustomization's source as chart source",
      build: (stack) => new HelmRelease(stack, "web", { chart: { spec: { chart: "app", sourceRef: new OCIRepository(stack, "oci", { url: "oci://r/x" }) as never } } }),
      error: /HelmRelease "web": chart\.spec\.sourceRef is a OCIRepository: a chart comes from a HelmRepository, GitRepository or Bucket \(an OCIRepository goes in chartRef\)/,
    },
    { title: "drift mode", build: (stack) => new HelmRelease(stack, "web", { chart: chart(stack), driftDetection: { mode: "sometimes" as never } }), error: /HelmRelease "web": driftDetection\.mode "sometimes" must be one of enabled, warn, disabled/ },
    { title: "timeout", build: (stack) => new HelmRelease(stack, "web", { chart: chart(stack), upgrade: { timeout: "soon" } }), error: /HelmRelease "web": upgrade\.timeout/ },
    { title: "storage namespace", build: (stack) => new HelmRelease(stack, "web", { chart: chart(stack), storageNamespace: "helm" }), error: /HelmRelease "web": storageNamespace "helm" must equal targetNamespace "flux-system"/ },
    { title: "bootstrap path", build: (stack) => new BootstrapGit(stack, "flux", { url: "https://g/x.git", path: "../x" }), error: /\[stack\/flux\] BootstrapGit "flux": path "\.\.\/x" must stay inside the repository/ },
    {
      title: "a deploy key over HTTPS",
      build: (stack) => new BootstrapGit(stack, "flux", { url: "https://g/x.git", path: "clusters/prod", generateDeployKey: {} }),
      error: /BootstrapGit "flux": a deploy key is an SSH key: use an ssh:\/\/ URL, or drop generateDeployKey/,
    },
    {
      title: "a kustomizationOverride without gotk-sync.yaml",
      build: (stack) => new BootstrapGit(stack, "flux", { url: "https://g/x.git", path: "p", kustomizationOverride: "resources: [app.yaml]\n" }),
      error: /BootstrapGit "flux": kustomizationOverride must list gotk-sync\.yaml in resources/,
    },
    { title: "SSH without host keys", build: (stack) => new BootstrapGit(stack, "flux", { url: "ssh://git@g/x.git", path: "p" }), error: /BootstrapGit "flux": an SSH repository needs auth\.knownHosts/ },
  ];
  for (const c of cases) assert.throws(() => synthFluxiac(c.build), c.error, c.title);
});

test("a literal push key synthesizes with a warning naming the prop; a path known only when Terraform runs is left to the provider", () => {
  let boot: BootstrapGit | undefined;
  const synth = synthFluxiac((stack) => {
    const path = new TerraformVariable(stack, "path", { type: "string" });
    boot = new BootstrapGit(stack, "flux", { url: "https://g/x.git", path: path.stringValue, auth: { username: "u", password: "literal-pw" } });
  });
  assert.equal(synth.resource("fluxiac_bootstrap_git", "flux").path, "${var.path}");
  const warnings = boot!.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^BootstrapGit "flux": auth\.password is a literal string.*TerraformVariable/);
  assert.doesNotMatch(warnings[0], /literal-pw/);
});
