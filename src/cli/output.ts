// How the fluxiac CLI talks, in the flux CLI's style: `► step`, `✔ success`, `✗ error` on stderr, and
// results (what scripts read) on stdout.

/** CliOutput is the CLI's only way to print. */
export interface CliOutput {
  step(message: string): void;
  success(message: string): void;
  failure(message: string): void;
  /** result prints a value scripts consume, alone on a line of stdout. */
  result(value: string): void;
}

/** consoleOutput prints to the process's stderr and stdout. */
export const consoleOutput: CliOutput = {
  step: (m) => process.stderr.write(`► ${m}\n`),
  success: (m) => process.stderr.write(`✔ ${m}\n`),
  failure: (m) => process.stderr.write(`✗ ${m}\n`),
  result: (v) => process.stdout.write(`${v}\n`),
};
