// Flux-style durations ("30s", "5m", "1h30m") as used in specs and IaC state.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDuration converts a Go/Flux duration string into milliseconds, or throws naming the field. */
export function parseDuration(value: string, field: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (value === "" || matched !== value.length) {
    throw new Error(`${field}: "${value}" is not a duration; use a value like "30s", "5m" or "1h30m"`);
  }
  return total;
}
