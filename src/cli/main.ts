#!/usr/bin/env node
// fluxiac: the command-line front-end. Each command group registers itself from its own file.
import "../compile-cache";
import { Command } from "commander";
import { errorMessage } from "../core/errors";
import { registerDiffCommands } from "./diff";
import { consoleOutput } from "./output";
import { registerPushCommands } from "./push";
import { registerTerraformCommands } from "./terraform";

/** program builds the CLI; commands plug in as `register<Group>Commands(program, output)`. */
export function program(): Command {
  const cli = new Command("fluxiac").description("Flux's GitOps model in infrastructure-as-code programs").showHelpAfterError();
  registerPushCommands(cli, consoleOutput);
  registerDiffCommands(cli, consoleOutput);
  registerTerraformCommands(cli, consoleOutput);
  return cli;
}

if (require.main === module) {
  program()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      consoleOutput.failure(errorMessage(err));
      process.exitCode = 1;
    });
}
