// Logger carries progress and diagnostics out of the engine; front-ends route it to their UI.

/** Logger is the engine's only way to talk to the user. Messages never contain credentials. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** stderrLogger writes to standard error; debug lines only when FLUXIAC_DEBUG is set. */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: (m) => {
    if (process.env.FLUXIAC_DEBUG) process.stderr.write(`debug: ${m}\n`);
  },
};

/** silentLogger drops everything. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };
