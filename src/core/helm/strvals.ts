// A small setter in Helm's `--set` path syntax (helm.sh/helm/v3/pkg/strvals), for valuesFrom targetPath.

/** StrvalsError reports a targetPath Helm's parser would refuse. */
export class StrvalsError extends Error {}

type Segment = { key: string } | { index: number };

/**
 * parsePath splits `a.b[0].c` into keys and list indexes. A backslash escapes the next character, so
 * `a\.b` is the key "a.b", as in Helm.
 */
export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  let key = "";
  let keyStarted = false;
  const flush = () => {
    if (keyStarted) segments.push({ key });
    key = "";
    keyStarted = false;
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "\\") {
      if (i + 1 >= path.length) throw new StrvalsError(`path "${path}" ends with an escape`);
      key += path[++i];
      keyStarted = true;
    } else if (c === ".") {
      if (!keyStarted && (segments.length === 0 || path[i - 1] !== "]")) throw new StrvalsError(`path "${path}" has an empty key`);
      flush();
    } else if (c === "[") {
      flush();
      const end = path.indexOf("]", i);
      const digits = end < 0 ? "" : path.slice(i + 1, end);
      if (!/^\d+$/.test(digits)) throw new StrvalsError(`path "${path}" has an invalid list index "[${digits}"`);
      const index = Number(digits);
      if (index > 65536) throw new StrvalsError(`path "${path}": index ${index} is larger than 65536`);
      segments.push({ index });
      i = end;
    } else if (c === "=" || c === ",") {
      throw new StrvalsError(`path "${path}" contains "${c}"; escape it with a backslash`);
    } else {
      key += c;
      keyStarted = true;
    }
  }
  flush();
  if (segments.length === 0 || "index" in segments[0]) throw new StrvalsError(`path "${path}" must start with a key`);
  return segments;
}

/**
 * typedValue is Helm's `--set` typing: "true"/"false" become booleans, "null" null, a decimal integer
 * without a leading zero (or "0") a number; anything else stays a string.
 */
export function typedValue(value: string): unknown {
  if (value.toLowerCase() === "true") return true;
  if (value.toLowerCase() === "false") return false;
  if (value.toLowerCase() === "null") return null;
  if (value === "0") return 0;
  if (/^-?[1-9]\d*$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

/**
 * setPath sets `value` at `path` inside `values` (in place), creating maps and lists on the way, as
 * `helm --set path=value` does (lists are padded with nulls). `literal` keeps the value a string
 * (`--set-literal`); otherwise it is typed as `--set` types it.
 */
export function setPath(values: Record<string, unknown>, path: string, value: string, literal = false): Record<string, unknown> {
  const segments = parsePath(path);
  const typed = literal ? value : typedValue(value);
  let node: unknown = values;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const next = segments[i + 1];
    const fresh = () => (next && "index" in next ? [] : {});
    if ("key" in seg) {
      const map = node as Record<string, unknown>;
      if (last) map[seg.key] = typed;
      else {
        const child = map[seg.key];
        const wantList = "index" in next;
        if (wantList ? !Array.isArray(child) : !child || typeof child !== "object" || Array.isArray(child)) map[seg.key] = fresh();
        node = map[seg.key];
      }
    } else {
      const list = node as unknown[];
      while (list.length <= seg.index) list.push(null);
      if (last) list[seg.index] = typed;
      else {
        const child = list[seg.index];
        const wantList = "index" in next;
        if (wantList ? !Array.isArray(child) : !child || typeof child !== "object" || Array.isArray(child)) list[seg.index] = fresh();
        node = list[seg.index];
      }
    }
  }
  return values;
}
