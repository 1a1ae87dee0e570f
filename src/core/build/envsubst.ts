// Flux's envsubst (fluxcd/pkg/envsubst, a fork of drone/envsubst): bash-like ${...} expansion over text.
// Only the braced form is expanded: `$var` stays as it is, and `$$` escapes a dollar (`$${var}` → `${var}`).

/** EnvsubstError is a template that cannot be parsed, or (strict mode) a variable that is not set. */
export class EnvsubstError extends Error {
  /** variable is the name of the unset variable, for strict-mode errors. */
  readonly variable?: string;

  constructor(message: string, variable?: string) {
    super(message);
    this.name = "EnvsubstError";
    this.variable = variable;
  }
}

type Node = { text: string } | FuncNode;

interface FuncNode {
  /** param is the variable's name. */
  param: string;
  /** op is the operator: "" (plain), ":=", ":-", "=", ":", "#", "##", "%", "%%", "/", "//", "/#", "/%", ",", ",,", "^", "^^", or "len". */
  op: string;
  args: Node[];
}

const isIdent = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

/** Parser is a cursor over the template, following the fork's grammar (parse/parse.go). */
class Parser {
  private pos = 0;

  constructor(private readonly s: string) {}

  private peek(offset = 0): string | undefined {
    return this.s[this.pos + offset];
  }

  private atFunc(): boolean {
    return this.peek() === "$" && this.peek(1) === "{";
  }

  /** parseText reads the top level: text, `$$` escapes, and ${...} functions. */
  parseText(): Node[] {
    const nodes: Node[] = [];
    let text = "";
    while (this.pos < this.s.length) {
      if (this.atFunc()) {
        if (text) nodes.push({ text });
        text = "";
        this.pos += 2;
        nodes.push(this.parseFunc());
      } else if (this.peek() === "$" && this.peek(1) === "$") {
        text += "$";
        this.pos += 2;
      } else {
        text += this.s[this.pos++];
      }
    }
    if (text) nodes.push({ text });
    return nodes;
  }

  private name(): string {
    const start = this.pos;
    while (isIdent(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private closing(): void {
    if (this.peek() !== "}") throw new EnvsubstError("bad substitution");
    this.pos++;
  }

  /** op reads up to max characters that are all in chars. */
  private op(chars: string, max: number): string {
    let op = "";
    while (op.length < max && this.peek() !== undefined && chars.includes(this.peek()!)) op += this.s[this.pos++];
    return op;
  }

  /**
   * param reads one argument: a nested ${...}, or text up to a character `stop` rejects. With `escapes`,
   * `$$`, `\/` and `\\` stand for `$`, `/` and `\`.
   */
  private param(stop: (c: string) => boolean, escapes = false): Node {
    if (this.atFunc()) {
      this.pos += 2;
      return this.parseFunc();
    }
    let text = "";
    while (this.pos < this.s.length && !this.atFunc()) {
      const c = this.s[this.pos];
      const next = this.s[this.pos + 1];
      if (escapes && ((c === "$" && next === "$") || (c === "\\" && (next === "/" || next === "\\")))) {
        text += next;
        this.pos += 2;
        continue;
      }
      if (stop(c)) break;
      text += c;
      this.pos++;
    }
    if (!text) throw new EnvsubstError("unable to parse substitution within function");
    return { text };
  }

  /** parseFunc parses what follows `${`, up to and including its `}`. */
  private parseFunc(): FuncNode {
    if (this.peek() === "#") {
      this.pos++;
      const param = this.name();
      if (!param) throw new EnvsubstError("bad substitution");
      this.closing();
      return { param, op: "len", args: [] };
    }
    const param = this.name();
    if (!param) throw new EnvsubstError("unable to parse variable name");
    const c = this.peek();
    if (c === ":" && "=-?+".includes(this.peek(1) ?? "}")) return this.defaultFunc(param, this.op(":", 1) + this.op("=-?+", 1));
    if (c === "=") return this.defaultFunc(param, this.op("=", 1));
    if (c === ":") return this.substrFunc(param);
    if (c === "," || c === "^") {
      const op = this.op(",^", 2);
      this.closing();
      return { param, op, args: [] };
    }
    if (c === "/") return this.replaceFunc(param);
    if (c === "#" || c === "%") {
      const op = this.op(c, 2);
      const node: FuncNode = { param, op, args: [this.param((x) => x === "}")] };
      this.closing();
      return node;
    }
    if (c !== "}") throw new EnvsubstError("missing closing brace");
    this.pos++;
    return { param, op: "", args: [] };
  }

  /** defaultFunc parses the default of ${var:=word}, ${var:-word}, ${var=word}: text and nested functions. */
  private defaultFunc(param: string, op: string): FuncNode {
    const args: Node[] = [];
    while (this.peek() !== "}") {
      if (this.peek() === undefined) throw new EnvsubstError("bad substitution");
      args.push(this.param((x) => x === "}"));
    }
    this.pos++;
    return { param, op, args };
  }

  /** substrFunc parses ${var:offset} and ${var:offset:length}. */
  private substrFunc(param: string): FuncNode {
    this.pos++;
    const args = [this.param((x) => x === ":" || x === "}")];
    if (this.peek() === ":") {
      this.pos++;
      args.push(this.param((x) => x === "}"));
    }
    this.closing();
    return { param, op: ":", args };
  }

  /** replaceFunc parses ${var/pattern/string}, ${var//…}, ${var/#…} and ${var/%…}. */
  private replaceFunc(param: string): FuncNode {
    const op = this.op("/", 1) + this.op("/#%", 1);
    const args: Node[] = [this.peek() === "/" ? { text: "" } : this.param((x) => x === "/", true)];
    if (this.peek() !== "/") throw new EnvsubstError("bad substitution");
    this.pos++;
    if (this.peek() !== "}") args.push(this.param((x) => x === "}", true));
    this.closing();
    return { param, op, args };
  }
}

/** DEFAULT_OPS are the operators that supply their own value for an unset variable (not an error in strict mode). */
const DEFAULT_OPS = new Set(["-", "+", "=", "?", ":-", ":+", ":=", ":?"]);

/** globRegExp translates a shell pattern (Go's path.Match: `*`, `?`, `[...]`) into an anchored RegExp. */
function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new EnvsubstError("bad substitution: unterminated [ in pattern");
      const body = pattern.slice(i + 1, end).replace(/^\^/, "!");
      re += `[${body.startsWith("!") ? "^" + body.slice(1) : body}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/** trimPrefix removes the shortest (or longest) prefix of s matching pattern. */
function trimPrefix(s: string, pattern: string, longest: boolean): string {
  const re = globRegExp(pattern);
  let match = "";
  for (let i = 0; i < s.length; i++) {
    const head = s.slice(0, s.length - i);
    if (re.test(head)) {
      match = head;
      if (longest) break;
    }
  }
  return match ? s.slice(match.length) : s;
}

const reverse = (s: string): string => [...s].reverse().join("");

function substr(s: string, args: string[]): string {
  const parse = (x: string): number | undefined => (/^[+-]?\d+$/.test(x) ? parseInt(x, 10) : undefined);
  let pos = parse(args[0]);
  if (pos === undefined) return s;
  if (pos < 0) pos = Math.max(0, s.length + pos);
  if (args.length === 1) return pos < s.length ? s.slice(pos) : "";
  const length = parse(args[1]);
  if (length === undefined) return s;
  if (length < 0) {
    const end = s.length + length;
    return end < pos ? "" : s.slice(pos, end);
  }
  return s.slice(pos, pos + length);
}

/** apply evaluates one function on the variable's value v. */
function apply(op: string, v: string, args: string[]): string {
  switch (op) {
    case "len":
      return String(Buffer.byteLength(v));
    case ",":
      return v.charAt(0).toLowerCase() + v.slice(1);
    case ",,":
      return v.toLowerCase();
    case "^":
      return v.charAt(0).toUpperCase() + v.slice(1);
    case "^^":
      return v.toUpperCase();
    case "#":
      return trimPrefix(v, args[0], false);
    case "##":
      return trimPrefix(v, args[0], true);
    case "%":
      return reverse(trimPrefix(reverse(v), reverse(args[0]), false));
    case "%%":
      return reverse(trimPrefix(reverse(v), reverse(args[0]), true));
    case ":":
      return substr(v, args);
    case "/":
      return v.replace(args[0], args[1] ?? "");
    case "//":
      return args[0] === "" ? v : v.split(args[0]).join(args[1] ?? "");
    case "/#":
      return args.length === 2 && v.startsWith(args[0]) ? args[1] + v.slice(args[0].length) : v;
    case "/%":
      return args.length === 2 && v.endsWith(args[0]) ? v.slice(0, v.length - args[0].length) + args[1] : v;
    default:
      // Plain ${var} and every default operator: the value, or the joined arguments when it is empty.
      return v === "" && args.length > 0 ? args.join("") : v;
  }
}

/** Lookup returns a variable's value, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

function evaluate(nodes: Node[], lookup: Lookup): string {
  let out = "";
  for (const node of nodes) {
    if ("text" in node) {
      out += node.text;
      continue;
    }
    const args = node.args.map((a) => evaluate([a], lookup));
    const v = lookup(node.param);
    if (v === undefined && !DEFAULT_OPS.has(node.op)) {
      throw new EnvsubstError(`variable not set (strict mode): "${node.param}"`, node.param);
    }
    out += apply(node.op, v ?? "", args);
  }
  return out;
}

/**
 * envsubst expands the ${...} expressions of text with Flux's envsubst rules. `lookup` returns undefined
 * for an unset variable, which is an error (strict mode) unless a default operator (`:=`, `:-`, `=`)
 * supplies a value. Parse errors and unset variables throw EnvsubstError.
 */
export function envsubst(text: string, lookup: Lookup): string {
  return evaluate(new Parser(text).parseText(), lookup);
}
