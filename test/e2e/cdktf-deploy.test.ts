// CDKTF end to end: the example app under the real cdktf CLI and real terraform.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cdktfProject, output, type CdktfProject } from "../harness/cdktf";

describe("the CDKTF example under cdktf synth", () => {
  let project: CdktfProject;

  before(async () => {
    project = await cdktfProject("example-synth", { from: "examples/cdktf" });
  });

  after(async () => {
    await project?.cleanup();
  });

  test("cdktf synth compiles the app and writes the fluxiac resources and provider", async () => {
    const res = await project.cdktf(["synth"], { REPO_URL: "https://git.example.com/org/fleet.git", KUBECONFIG: "/etc/fluxiac/kubeconfig", GIT_USERNAME: "bot" });
    assert.equal(res.code, 0, output(res));
    const config = (await project.synthesized("fleet")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(config.terraform.required_providers.fluxiac, { source: "fluxiac/fluxiac", version: "0.1.0" });
    assert.deepEqual(config.provider.fluxiac, [{ config_path: "/etc/fluxiac/kubeconfig" }]);
    const repo = config.resource.fluxiac_git_repository.apps;
    assert.equal(repo.url, "https://git.example.com/org/fleet.git");
    assert.deepEqual(repo.auth, { username: "bot", password: "${var.git_password}" });
    assert.equal(config.variable.git_password.sensitive, true);
    const ks = config.resource.fluxiac_kustomization["apps-deploy"];
    assert.equal(ks.source_ref, "${fluxiac_git_repository.apps.source_reference}");
    assert.equal(ks.prune, true);
    assert.equal(ks.name, "apps");
  });

  test("cdktf synth without REPO_URL fails with the example's message", async () => {
    const res = await project.cdktf(["synth"], { KUBECONFIG: "/etc/fluxiac/kubeconfig" });
    assert.notEqual(res.code, 0);
    assert.match(output(res), /set REPO_URL to the Git repository to deploy from/);
  });
});
