// fluxiac with CDKTF: one GitRepository and one Kustomization, reconciled by `cdktf deploy` through
// fluxiac's own Terraform provider (install it once with `npx fluxiac terraform install`).
//
//   export REPO_URL=https://git.example.com/org/fleet.git
//   export KUBECONFIG=$HOME/.kube/config
//   npx cdktf deploy --skip-provider-lock     # the lock step would ask the public registry
//
// Optional: REPO_BRANCH (default main), REPO_PATH (default ./deploy), KUBE_CONTEXT, and for HTTPS basic
// auth GIT_USERNAME plus the password as the sensitive variable TF_VAR_git_password.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { FluxiacProvider, GitRepository, Kustomization } from "fluxiac/cdktf";

/** FleetStack deploys one Git repository's overlay into the cluster of the kubeconfig. */
class FleetStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const url = process.env.REPO_URL;
    if (!url) throw new Error("set REPO_URL to the Git repository to deploy from");
    new FluxiacProvider(this, "fluxiac", { configPath: process.env.KUBECONFIG, configContext: process.env.KUBE_CONTEXT });

    const username = process.env.GIT_USERNAME;
    const password = username ? new TerraformVariable(this, "git_password", { type: "string", sensitive: true, description: "Password of GIT_USERNAME" }) : undefined;
    const repo = new GitRepository(this, "apps", {
      url,
      ref: { branch: process.env.REPO_BRANCH ?? "main" },
      auth: username && password ? { username, password: password.stringValue } : undefined,
    });
    const apps = new Kustomization(this, "apps-deploy", {
      name: "apps",
      sourceRef: repo,
      path: process.env.REPO_PATH ?? "./deploy",
      prune: true,
    });

    new TerraformOutput(this, "revision", { value: repo.artifact.revision });
    new TerraformOutput(this, "last_applied_revision", { value: apps.lastAppliedRevision });
    new TerraformOutput(this, "inventory", { value: apps.inventory });
  }
}

const app = new App();
new FleetStack(app, "fleet");
app.synth();
