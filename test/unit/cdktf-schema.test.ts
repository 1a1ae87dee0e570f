// The constructs against the provider's schema: every attribute a construct can synthesize exists in
// its fluxiac_<kind> resource (nested attributes included), and every configurable attribute of the
// resource is reachable from a prop. Props are set in full; validation is off (only names matter).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TerraformStack } from "cdktf";
import { BootstrapGit, Bucket, FluxiacProvider, GitRepository, HelmRelease, HelmRepository, Kustomization, OCIRepository, kubernetesConfig, synthFluxiac } from "../../src/cdktf";
import { providerAttributes } from "../../src/terraform/config";
import { resourceTypes } from "../../src/terraform/resources";
import type { Attributes } from "../../src/terraform/schema";

const PEM = { caCert: "ca", cert: "cert", key: "key" };
const SELECTOR = { group: "g", version: "v", kind: "k", name: "n", namespace: "ns", labelSelector: "a=b", annotationSelector: "c=d" };

/** everyProp builds one construct of each kind with every prop set. */
function everyProp(stack: TerraformStack): void {
  const shared = new GitRepository(stack, "shared", { url: "https://g/shared.git" });
  const repo = new GitRepository(stack, "git", {
    url: "https://g/x.git",
    ref: { branch: "main", tag: "v1", semver: "1.x", name: "refs/heads/main", commit: "a".repeat(40) },
    auth: { username: "u", password: "p", bearerToken: "t", identity: "id", knownHosts: "kh" },
    tls: PEM,
    timeout: "1m",
    ignore: "*.md",
    recurseSubmodules: true,
    include: [{ repository: shared, fromPath: "a", toPath: "b" }],
    verify: { mode: "HEAD", publicKeys: ["k"] },
  });
  const oci = new OCIRepository(stack, "oci", {
    url: "oci://r/x",
    ref: { tag: "t", semver: "1.x", semverFilter: ".*", digest: "sha256:x" },
    layerSelector: { mediaType: "m", operation: "copy" },
    cloudProvider: "generic",
    auth: { dockerConfigJson: "{}", username: "u", password: "p" },
    tls: PEM,
    insecure: true,
    timeout: "1m",
    ignore: "x",
  });
  const charts = new HelmRepository(stack, "helm", { url: "https://c", type: "default", auth: { username: "u", password: "p" }, passCredentials: true, tls: PEM, insecure: false, timeout: "1m" });
  new Bucket(stack, "bucket", { cloudProvider: "aws", bucketName: "b", endpoint: "e", region: "r", prefix: "p", insecure: true, auth: { accessKey: "a", secretKey: "s" }, tls: PEM, timeout: "1m", ignore: "x" });
  const base = new Kustomization(stack, "base", { sourceRef: repo, prune: true });
  new Kustomization(stack, "ks", {
    sourceRef: repo,
    path: "./",
    prune: true,
    force: true,
    ignore: [{ paths: ["/spec"], target: SELECTOR }],
    deletionPolicy: "Delete",
    namespace: "ns",
    kubeconfig: "kc",
    context: "ctx",
    kubeConfig: { secretRef: { name: "n", key: "k" } },
    serviceAccountName: "sa",
    wait: true,
    healthChecks: [{ apiVersion: "v1", kind: "K", name: "n", namespace: "ns" }],
    healthCheckExprs: [{ apiVersion: "v1", kind: "K", current: "c", inProgress: "i", failed: "f" }],
    timeout: "1m",
    dependsOn: [base],
    readyExpr: "dep.status.ready",
    suspend: false,
    targetNamespace: "t",
    namePrefix: "p-",
    nameSuffix: "-s",
    commonMetadata: { labels: { a: "b" }, annotations: { c: "d" } },
    patches: [{ patch: "p", target: SELECTOR }],
    images: [{ name: "n", newName: "nn", newTag: "t", digest: "d" }],
    components: ["c"],
    ignoreMissingComponents: true,
    postBuild: { substitute: { a: "b" }, substituteFrom: [{ kind: "ConfigMap", name: "n", optional: true }], substituteStrategy: "Always" },
    decryption: { provider: "sops", keys: ["k"], secretRef: { name: "n" } },
    allowRemoteBases: true,
  });
  const actionCommon = { timeout: "1m", disableWait: true, disableWaitForJobs: true, disableHooks: true };
  const remediation = { retries: 1, ignoreTestFailures: true, remediateLastFailure: true };
  const releaseAction = { disableOpenAPIValidation: true, disableSchemaValidation: true, disableTakeOwnership: true, strategy: { name: "RetryOnFailure" as const, retryInterval: "1m" } };
  const db = new HelmRelease(stack, "db", { chartRef: oci });
  new HelmRelease(stack, "hr", {
    chart: { spec: { chart: "app", version: "1.x", sourceRef: charts, reconcileStrategy: "ChartVersion", valuesFiles: ["v.yaml"], ignoreMissingValuesFiles: true } },
    releaseName: "r",
    targetNamespace: "t",
    storageNamespace: "t",
    namespace: "ns",
    kubeconfig: "kc",
    context: "ctx",
    kubeConfig: { secretRef: { name: "n", key: "k" } },
    serviceAccountName: "sa",
    timeout: "1m",
    maxHistory: 3,
    values: { a: 1 },
    valuesFrom: [{ kind: "Secret", name: "s", valuesKey: "k", targetPath: "a.b", optional: true, literal: true }],
    driftDetection: { mode: "enabled", ignore: [{ paths: ["/spec"], target: SELECTOR }] },
    install: { ...actionCommon, ...releaseAction, remediation, replace: true, crds: "Create", createNamespace: true },
    upgrade: { ...actionCommon, ...releaseAction, remediation: { ...remediation, strategy: "rollback" }, chartNameChangeStrategy: "InPlaceUpdate", force: true, preserveValues: true, cleanupOnFail: true, crds: "Skip" },
    test: { enable: true, timeout: "1m", ignoreFailures: true, filters: [{ name: "t", exclude: true }] },
    rollback: { ...actionCommon, force: true, recreate: true, cleanupOnFail: true },
    uninstall: { timeout: "1m", disableHooks: true, keepHistory: true, disableWait: true, deletionPropagation: "orphan" },
    postRenderers: [{ kustomize: { patches: [{ patch: "p", target: SELECTOR }], images: [{ name: "n", newName: "nn", newTag: "t", digest: "d" }] } }],
    commonMetadata: { labels: { a: "b" }, annotations: { c: "d" } },
    healthCheckExprs: [{ apiVersion: "example.com/v1", kind: "Widget", current: "true", inProgress: "false", failed: "false" }],
    postRenderStrategy: "nohooks",
    waitStrategy: { name: "legacy" },
    dependsOn: [db],
    readyExpr: "dep.status.ready",
    suspend: false,
  });
  new BootstrapGit(stack, "boot", {
    url: "ssh://git@g/x.git",
    branch: "main",
    auth: { username: "u", password: "p", bearerToken: "t", identity: "id", knownHosts: "kh" },
    tls: PEM,
    author: { name: "n", email: "e" },
    signing: { format: "ssh", key: "k" },
    path: "clusters/prod",
    kubeconfig: "kc",
    context: "ctx",
    namespace: "ns",
    interval: "1m",
    timeout: "1m",
    generateDeployKey: { algorithm: "ed25519" },
    scanKnownHosts: true,
    components: { localPath: "l", sourceRef: repo, path: "p", version: "v" },
    mode: "controllers",
    wait: true,
    waitTimeout: "1m",
    deleteGitManifests: true,
    keepNamespace: false,
    secretName: "git-creds",
    kustomizationOverride: "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n",
    commitMessageAppendix: "a",
  });
  new FluxiacProvider(stack, "fluxiac", { ...kubernetesConfig({ configPath: "p", configContext: "c", host: "h", token: "t", clusterCaCertificate: "ca", clientCertificate: "c", clientKey: "k", insecure: true }), configRaw: "raw", storeDir: "s", defaultServiceAccount: "sa" });
}

/** paths lists the attribute paths of a synthesized value, descending into the schema's nested attributes only. */
function synthesizedPaths(value: Record<string, unknown>, schema: Attributes, prefix = ""): { known: string[]; unknown: string[] } {
  const known: string[] = [];
  const unknown: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === "//" || key === "depends_on" || key === "provider" && typeof v === "string" && v.startsWith("fluxiac")) continue;
    const attr = schema[key];
    const path = `${prefix}${key}`;
    if (!attr) {
      unknown.push(path);
      continue;
    }
    known.push(path);
    if ("nested" in attr) {
      for (const item of Array.isArray(v) ? v : [v]) {
        const inner = synthesizedPaths(item as Record<string, unknown>, attr.attributes, `${path}.`);
        known.push(...inner.known);
        unknown.push(...inner.unknown);
      }
    }
  }
  return { known, unknown };
}

/** configurablePaths lists the schema's attributes a configuration may set, nested ones included. */
function configurablePaths(schema: Attributes, prefix = ""): string[] {
  return Object.entries(schema).flatMap(([key, attr]) => {
    if (attr.computed && !attr.optional) return [];
    const path = `${prefix}${key}`;
    return "nested" in attr ? [path, ...configurablePaths(attr.attributes, `${path}.`)] : [path];
  });
}

test("every attribute the constructs synthesize is in the provider's schema, and every configurable one is reachable", () => {
  const config = synthFluxiac(everyProp, { validate: false }).config as { resource: Record<string, Record<string, Record<string, unknown>>>; provider: { fluxiac: Record<string, unknown>[] } };
  for (const type of resourceTypes) {
    const synthesized = Object.values(config.resource[type.typeName] ?? {});
    assert.ok(synthesized.length, `no ${type.typeName} synthesized`);
    const known = new Set<string>();
    const unknown = new Set<string>();
    for (const attrs of synthesized) {
      const paths = synthesizedPaths(attrs, type.attributes);
      paths.known.forEach((p) => known.add(p));
      paths.unknown.forEach((p) => unknown.add(p));
    }
    assert.deepEqual([...unknown], [], `${type.typeName}: attributes the schema lacks`);
    const unreached = configurablePaths(type.attributes).filter((p) => !known.has(p));
    assert.deepEqual(unreached, [], `${type.typeName}: attributes no prop sets`);
  }
  const provider = synthesizedPaths(config.provider.fluxiac[0], providerAttributes);
  assert.deepEqual(provider.unknown, [], "provider settings the schema lacks");
  assert.deepEqual(configurablePaths(providerAttributes).filter((p) => !provider.known.includes(p)), [], "provider settings no prop sets");
});
