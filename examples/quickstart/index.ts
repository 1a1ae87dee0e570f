// fluxiac quickstart: one GitRepository and one Kustomization, reconciled by `pulumi up`.
//
//   pulumi config set repoUrl https://git.example.com/org/fleet.git
//   pulumi config set path ./deploy
//   pulumi up
//
// Optional config: branch (default main), username + password (secret) for HTTPS, kubeconfig (secret;
// default $KUBECONFIG or ~/.kube/config).
import * as pulumi from "@pulumi/pulumi";
import { GitRepository, Kustomization } from "fluxiac/pulumi";

const config = new pulumi.Config();
const username = config.get("username");

const repo = new GitRepository("apps", {
  url: config.require("repoUrl"),
  ref: { branch: config.get("branch") ?? "main" },
  auth: username ? { username, password: config.requireSecret("password") } : undefined,
});

const apps = new Kustomization("apps", {
  sourceRef: repo,
  path: config.get("path") ?? "./deploy",
  prune: true,
  kubeconfig: config.getSecret("kubeconfig"),
});

export const revision = repo.artifact.revision;
export const digest = repo.artifact.digest;
export const inventory = apps.inventory;
export const lastAppliedRevision = apps.lastAppliedRevision;
