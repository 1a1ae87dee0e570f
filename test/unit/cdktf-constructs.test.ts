// CDKTF constructs: the Terraform JSON they synthesize (attribute names, references, secrets), synth-time
// validation, the provider configuration and the Testing helpers. No I/O: synth only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TerraformOutput, TerraformVariable, Testing, type IResolvable, type TerraformStack } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import {
  Bucket,
  FluxiacProvider,
  GitRepository,
  HelmRepository,
  Kustomization,
  OCIRepository,
  hasFluxiacResource,
  kubernetesConfig,
  referenceOf,
  snakeCase,
  synthFluxiac,
  toTerraformAttributes,
  type FluxiacResourceType,
} from "../../src/cdktf";

test("snakeCase gives the provider's attribute names", () => {
  const cases: [string, string][] = [
    ["url", "url"],
    ["bucketName", "bucket_name"],
    ["caCert", "ca_cert"],
    ["dockerConfigJson", "docker_config_json"],
    ["healthCheckExprs", "health_check_exprs"],
    ["kubeConfig", "kube_config"],
    ["kubeconfig", "kubeconfig"],
    ["substituteFrom", "substitute_from"],
    ["ignoreMissingComponents", "ignore_missing_components"],
    ["configRaw", "config_raw"],
    ["clusterCACertificate", "cluster_ca_certificate"],
  ];
  for (const [prop, attribute] of cases) assert.equal(snakeCase(prop), attribute, prop);
});

test("toTerraformAttributes converts nested objects and lists, keeps string-map keys, drops undefined, passes tokens", () => {
  const token: IResolvable = { creationStack: [], resolve: () => "x" };
  const attrs = toTerraformAttributes(
    {
      postBuild: { substitute: { myVar: "1", "app.kubernetes.io/name": "a" }, substituteFrom: [{ kind: "ConfigMap", name: "vars", optional: true }] },
      healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web" }],
      commonMetadata: { labels: { teamName: "x" } },
      decryption: token,
      absent: undefined,
    },
    ["postBuild.substitute", "commonMetadata.labels"],
  );
  assert.deepEqual(attrs, {
    post_build: { substitute: { myVar: "1", "app.kubernetes.io/name": "a" }, substitute_from: [{ kind: "ConfigMap", name: "vars", optional: true }] },
    health_checks: [{ api_version: "apps/v1", kind: "Deployment", name: "web" }],
    common_metadata: { labels: { teamName: "x" } },
    decryption: token,
  });
});

test("every construct synthesizes its fluxiac_<kind> resource with the contract's attribute names", () => {
  const synth = synthFluxiac((stack) => {
    new FluxiacProvider(stack, "fluxiac", { configPath: "/home/u/.kube/config" });
    const repo = new GitRepository(stack, "repo", {
      url: "https://git.example.com/org/apps.git",
      ref: { branch: "main" },
      timeout: "30s",
      recurseSubmodules: true,
      verify: { mode: "HEAD", publicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k"] },
    });
    new OCIRepository(stack, "oci", { url: "oci://registry.example.com/manifests", ref: { semver: ">=1.0.0", semverFilter: ".*" }, layerSelector: { mediaType: "application/vnd.cncf.flux.content.v1.tar+gzip", operation: "copy" }, insecure: true });
    new HelmRepository(stack, "charts", { url: "https://charts.example.com", passCredentials: true, timeout: "1m" });
    new Bucket(stack, "bucket", { bucketName: "manifests", endpoint: "s3.example.com", region: "eu-west-1", prefix: "apps/", cloudProvider: "generic" });
    new Kustomization(stack, "apps", {
      sourceRef: repo,
      path: "./apps",
      prune: true,
      wait: true,
      deletionPolicy: "Delete",
      targetNamespace: "web",
      healthCheckExprs: [{ apiVersion: "example.com/v1", kind: "Widget", current: "status.ready == true", inProgress: "status.ready == false" }],
      ignore: [{ paths: ["/spec/replicas"], target: { kind: "Deployment", labelSelector: "app=web" } }],
      images: [{ name: "nginx", newTag: "1.27" }],
      kubeConfig: { secretRef: { name: "remote", key: "value.yaml" } },
      postBuild: { substitute: { clusterName: "prod" }, substituteFrom: [{ kind: "Secret", name: "vars" }], substituteStrategy: "Always" },
    });
  });
  const expected: [FluxiacResourceType, string, Record<string, unknown>][] = [
    ["fluxiac_git_repository", "repo", {
      name: "repo",
      url: "https://git.example.com/org/apps.git",
      ref: { branch: "main" },
      timeout: "30s",
      recurse_submodules: true,
      verify: { mode: "HEAD", public_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k"] },
    }],
    ["fluxiac_oci_repository", "oci", {
      name: "oci",
      url: "oci://registry.example.com/manifests",
      ref: { semver: ">=1.0.0", semver_filter: ".*" },
      layer_selector: { media_type: "application/vnd.cncf.flux.content.v1.tar+gzip", operation: "copy" },
      insecure: true,
    }],
    ["fluxiac_helm_repository", "charts", { name: "charts", url: "https://charts.example.com", pass_credentials: true, timeout: "1m" }],
    ["fluxiac_bucket", "bucket", { name: "bucket", bucket_name: "manifests", endpoint: "s3.example.com", region: "eu-west-1", prefix: "apps/", cloud_provider: "generic" }],
    ["fluxiac_kustomization", "apps", {
      name: "apps",
      source_ref: "${fluxiac_git_repository.repo.source_reference}",
      path: "./apps",
      prune: true,
      wait: true,
      deletion_policy: "Delete",
      target_namespace: "web",
      health_check_exprs: [{ api_version: "example.com/v1", kind: "Widget", current: "status.ready == true", in_progress: "status.ready == false" }],
      ignore: [{ paths: ["/spec/replicas"], target: { kind: "Deployment", label_selector: "app=web" } }],
      images: [{ name: "nginx", new_tag: "1.27" }],
      kube_config: { secret_ref: { name: "remote", key: "value.yaml" } },
      post_build: { substitute: { clusterName: "prod" }, substitute_from: [{ kind: "Secret", name: "vars" }], substitute_strategy: "Always" },
    }],
  ];
  for (const [type, name, attributes] of expected) assert.deepEqual(synth.resource(type, name), attributes, `${type}.${name}`);
  assert.deepEqual(synth.config.terraform?.required_providers?.fluxiac, { source: "fluxiac/fluxiac", version: FluxiacProvider.providerVersion });
  assert.deepEqual(synth.providers(), [{ config_path: "/home/u/.kube/config" }]);
});

test("credentials from a sensitive TerraformVariable are written as references, never as literals", () => {
  const synth = synthFluxiac((stack) => {
    const password = new TerraformVariable(stack, "git_password", { type: "string", sensitive: true });
    const key = new TerraformVariable(stack, "tls_key", { type: "string", sensitive: true });
    const age = new TerraformVariable(stack, "age_key", { type: "string", sensitive: true });
    const repo = new GitRepository(stack, "repo", { url: "https://git.example.com/apps.git", auth: { username: "bot", password: password.stringValue }, tls: { key: key.stringValue, cert: "PEM" } });
    new Kustomization(stack, "apps", { sourceRef: repo, prune: true, decryption: { provider: "sops", keys: [age.stringValue] } });
  });
  const repo = synth.resource("fluxiac_git_repository", "repo");
  assert.deepEqual(repo.auth, { username: "bot", password: "${var.git_password}" });
  assert.deepEqual(repo.tls, { key: "${var.tls_key}", cert: "PEM" });
  assert.deepEqual(synth.resource("fluxiac_kustomization", "apps").decryption, { provider: "sops", keys: ["${var.age_key}"] });
});

test("a literal credential synthesizes with a warning that names the prop; a reference does not warn", () => {
  let literal: GitRepository | undefined;
  let referenced: GitRepository | undefined;
  synthFluxiac((stack) => {
    const token = new TerraformVariable(stack, "token", { type: "string", sensitive: true });
    literal = new GitRepository(stack, "literal", { url: "https://git.example.com/apps.git", auth: { bearerToken: "s3cr3t" } });
    referenced = new GitRepository(stack, "referenced", { url: "https://git.example.com/apps.git", auth: { bearerToken: token.stringValue } });
  });
  const warnings = (c: GitRepository | undefined) => c!.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  assert.equal(warnings(literal).length, 1);
  assert.match(warnings(literal)[0], /^GitRepository "literal": auth\.bearerToken is a literal string.*TerraformVariable/);
  assert.doesNotMatch(warnings(literal)[0], /s3cr3t/);
  assert.deepEqual(warnings(referenced), []);
});

test("references: sourceRef, include, dependsOn and the computed attributes render as Terraform expressions", () => {
  const synth = synthFluxiac((stack) => {
    const shared = new GitRepository(stack, "shared", { url: "https://git.example.com/shared.git" });
    const repo = new GitRepository(stack, "repo", { url: "https://git.example.com/apps.git", include: [{ repository: shared, fromPath: "base", toPath: "vendor/base" }] });
    const bucket = new Bucket(stack, "bucket", { bucketName: "b", endpoint: "s3.example.com" });
    const infra = new Kustomization(stack, "infra", { sourceRef: bucket, prune: true });
    const apps = new Kustomization(stack, "apps", { sourceRef: repo, prune: false, dependsOn: [infra], readyExpr: "dep.lastAppliedRevision == self.lastAppliedRevision" });
    new TerraformOutput(stack, "revision", { value: repo.artifact.revision });
    new TerraformOutput(stack, "size", { value: repo.artifact.size });
    new TerraformOutput(stack, "applied", { value: apps.lastAppliedRevision });
    new TerraformOutput(stack, "prune", { value: apps.plan.prune });
    new TerraformOutput(stack, "inventory", { value: apps.inventory });
    new TerraformOutput(stack, "drift", { value: apps.drift });
    new TerraformOutput(stack, "id", { value: apps.id });
    new TerraformOutput(stack, "health", { value: apps.health.status });
    assert.equal(referenceOf(repo, "source_reference"), "${fluxiac_git_repository.repo.source_reference}");
  });
  assert.deepEqual(synth.resource("fluxiac_git_repository", "repo").include, [{ repository: "${fluxiac_git_repository.shared.source_reference}", from_path: "base", to_path: "vendor/base" }]);
  assert.equal(synth.resource("fluxiac_kustomization", "infra").source_ref, "${fluxiac_bucket.bucket.source_reference}");
  assert.deepEqual(synth.resource("fluxiac_kustomization", "apps").dependencies, ["${fluxiac_kustomization.infra.dependency}"]);
  assert.equal(synth.resource("fluxiac_kustomization", "apps").ready_expr, "dep.lastAppliedRevision == self.lastAppliedRevision");
  const outputs = synth.config.output as Record<string, { value: unknown }>;
  assert.equal(outputs.revision.value, "${fluxiac_git_repository.repo.artifact.revision}");
  assert.equal(outputs.size.value, "${fluxiac_git_repository.repo.artifact.size}");
  assert.equal(outputs.applied.value, "${fluxiac_kustomization.apps.last_applied_revision}");
  assert.equal(outputs.prune.value, "${fluxiac_kustomization.apps.plan.prune}");
  assert.equal(outputs.inventory.value, "${fluxiac_kustomization.apps.inventory}");
  assert.equal(outputs.drift.value, "${fluxiac_kustomization.apps.drift}");
  assert.equal(outputs.id.value, "${fluxiac_kustomization.apps.id}");
  assert.equal(outputs.health.value, "${fluxiac_kustomization.apps.health.status}");
});

test("invalid props fail the synth naming the construct and the prop", () => {
  const cases: { title: string; build: (stack: TerraformStack) => void; error: RegExp }[] = [
    {
      title: "missing prune",
      build: (stack) => new Kustomization(stack, "apps", { sourceRef: new GitRepository(stack, "repo", { url: "https://g/x.git" }) } as never),
      error: /\[stack\/apps\] Kustomization "apps": prune is required/,
    },
    {
      title: "missing sourceRef",
      build: (stack) => new Kustomization(stack, "apps", { prune: true } as never),
      error: /Kustomization "apps": sourceRef is required/,
    },
    {
      title: "a HelmRepository as sourceRef",
      build: (stack) => new Kustomization(stack, "apps", { prune: true, sourceRef: new HelmRepository(stack, "charts", { url: "https://c" }) } as never),
      error: /Kustomization "apps": sourceRef is a HelmRepository: a Kustomization takes a GitRepository, OCIRepository or Bucket/,
    },
    {
      title: "unknown deletionPolicy",
      build: (stack) => new Kustomization(stack, "apps", { prune: true, sourceRef: new GitRepository(stack, "repo", { url: "https://g/x.git" }), deletionPolicy: "Keep" } as never),
      error: /Kustomization "apps": deletionPolicy "Keep" is not valid/,
    },
    {
      title: "bad timeout",
      build: (stack) => new Kustomization(stack, "apps", { prune: true, sourceRef: new GitRepository(stack, "repo", { url: "https://g/x.git" }), timeout: "5 minutes" }),
      error: /Kustomization "apps": timeout: "5 minutes" is not a duration/,
    },
    {
      title: "readyExpr that is not CEL",
      build: (stack) => new Kustomization(stack, "apps", { prune: true, sourceRef: new GitRepository(stack, "repo", { url: "https://g/x.git" }), readyExpr: "dep.(" }),
      error: /Kustomization "apps": readyExpr is not valid CEL/,
    },
    {
      title: "git url scheme",
      build: (stack) => new GitRepository(stack, "repo", { url: "ftp://g/x.git" }),
      error: /GitRepository "repo": url "ftp:\/\/g\/x\.git" must start with https:\/\//,
    },
    {
      title: "short commit",
      build: (stack) => new GitRepository(stack, "repo", { url: "https://g/x.git", ref: { commit: "abc" } }),
      error: /GitRepository "repo": ref\.commit must be a full 40-character SHA-1/,
    },
    {
      title: "oci url",
      build: (stack) => new OCIRepository(stack, "oci", { url: "https://r/x" }),
      error: /OCIRepository "oci": url/,
    },
    {
      title: "bucket provider",
      build: (stack) => new Bucket(stack, "b", { bucketName: "b", endpoint: "s3", cloudProvider: "gcp" }),
      error: /Bucket "b": cloudProvider "gcp" is not supported yet/,
    },
    {
      title: "an id that is no object name",
      build: (stack) => new HelmRepository(stack, "My_Charts", { url: "https://c" }),
      error: /HelmRepository "My_Charts": name "My_Charts" is not a valid object name.*set the name prop/,
    },
  ];
  for (const c of cases) assert.throws(() => synthFluxiac(c.build), c.error, c.title);
});

test("checks that depend on a value known only at apply time are left to the provider", () => {
  const synth = synthFluxiac((stack) => {
    const url = new TerraformVariable(stack, "url", { type: "string" });
    const prune = new TerraformVariable(stack, "prune", { type: "bool" });
    const repo = new GitRepository(stack, "repo", { url: url.stringValue });
    new Kustomization(stack, "apps", { sourceRef: repo, prune: prune.booleanValue });
  });
  assert.equal(synth.resource("fluxiac_git_repository", "repo").url, "${var.url}");
  assert.equal(synth.resource("fluxiac_kustomization", "apps").prune, "${var.prune}");
});

test("the name prop names the Flux object; the construct id stays the Terraform name", () => {
  const synth = synthFluxiac((stack) => {
    new GitRepository(stack, "Repo", { name: "podinfo", url: "https://g/x.git" });
  });
  assert.equal(synth.resource("fluxiac_git_repository", "Repo").name, "podinfo");
});

test("FluxiacProvider takes the cluster settings of a KubernetesProvider", () => {
  const synth = synthFluxiac((stack) => {
    const k8s = new KubernetesProvider(stack, "k8s", { host: "https://127.0.0.1:6443", token: "${var.token}", clusterCaCertificate: "PEM", insecure: false, ignoreLabels: ["x"] });
    FluxiacProvider.fromKubernetesProvider(stack, "fluxiac", k8s, { storeDir: "/var/cache/fluxiac" });
    new FluxiacProvider(stack, "other", { configPath: "/k", configContext: "prod", alias: "prod" });
  });
  assert.deepEqual(synth.providers(), [
    { host: "https://127.0.0.1:6443", token: "${var.token}", cluster_ca_certificate: "PEM", insecure: false, store_dir: "/var/cache/fluxiac" },
    { alias: "prod", config_path: "/k", config_context: "prod" },
  ]);
  assert.deepEqual(kubernetesConfig({ configPaths: ["/a"], configContext: "c" }), {
    configPath: "/a", configContext: "c", host: undefined, token: undefined, clusterCaCertificate: undefined, clientCertificate: undefined, clientKey: undefined, insecure: undefined,
  });
  assert.throws(() => kubernetesConfig({ exec: [{ apiVersion: "client.authentication.k8s.io/v1", command: "aws" }] }), /sets exec, which fluxiac's provider does not support/);
  assert.throws(() => kubernetesConfig({ configPaths: ["/a", "/b"] }), /several configPaths/);
});

test("resources bound to an aliased provider name it", () => {
  const synth = synthFluxiac((stack) => {
    const prod = new FluxiacProvider(stack, "prod", { configContext: "prod", alias: "prod" });
    new GitRepository(stack, "repo", { url: "https://g/x.git", provider: prod });
  });
  assert.equal(synth.resource("fluxiac_git_repository", "repo").provider, "fluxiac.prod");
});

test("the Testing helpers find resources by partial attributes and name what is there", () => {
  const synth = synthFluxiac((stack) => {
    const repo = new GitRepository(stack, "repo", { url: "https://g/x.git", ref: { tag: "v1" } });
    new Kustomization(stack, "apps", { sourceRef: repo, prune: true, path: "./apps" });
  });
  assert.equal(hasFluxiacResource(synth, "fluxiac_git_repository", { ref: { tag: "v1" } }), true);
  assert.equal(hasFluxiacResource(synth, "fluxiac_git_repository", { ref: { tag: "v2" } }), false);
  assert.equal(hasFluxiacResource(synth, "fluxiac_kustomization", { path: "./apps", prune: true }), true);
  assert.equal(hasFluxiacResource(synth, "fluxiac_bucket"), false);
  assert.throws(() => synth.resource("fluxiac_kustomization", "web"), /no fluxiac_kustomization "web".*there are: apps/);
  assert.ok(Testing.toHaveResourceWithProperties(synth.json, "fluxiac_kustomization", { path: "./apps" }));
});
