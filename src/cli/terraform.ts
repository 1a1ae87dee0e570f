// `fluxiac terraform install [--dir <mirror>]`: puts fluxiac's Terraform provider into a local mirror.
import type { Command } from "commander";
import { installProvider, PROVIDER_NAMESPACE, PROVIDER_TYPE } from "../terraform/install";
import type { CliOutput } from "./output";

/** registerTerraformCommands adds `terraform install` to the program. */
export function registerTerraformCommands(program: Command, out: CliOutput): void {
  const terraform = program.command("terraform").description("fluxiac's Terraform provider (fluxiac/fluxiac)");
  terraform
    .command("install")
    .description("Install the provider into a local provider mirror, so terraform init needs no registry")
    .option("--dir <mirror>", "mirror directory (default: ~/.terraform.d/plugins, a mirror Terraform and cdktf find without configuration)")
    .action(async (flags: { dir?: string }) => {
      const installed = await installProvider({ dir: flags.dir });
      out.success(`installed ${PROVIDER_NAMESPACE}/${PROVIDER_TYPE} ${installed.version} at ${installed.path}`);
      out.step(`lock-file hash: ${installed.hash}`);
      out.result(installed.hash);
    });
}
