// Flux's envsubst rules and postBuild substitution over objects, table-driven (cases from fluxcd/pkg/envsubst).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { envsubst, EnvsubstError } from "../../src/core/build/envsubst";
import { substituteObjects, SubstituteError } from "../../src/core/build/substitute";
import type { KubeObject } from "../../src/core/build/kustomize";

const vars: Record<string, string> = { name: "fluxiac", empty: "", path: "/usr/local/bin", version: "v1.2.3", n: "2", long: "abcdef" };
const lookup = (k: string): string | undefined => vars[k];

describe("envsubst (Flux's fork of drone/envsubst)", () => {
  const cases: [string, string, string][] = [
    ["plain braced variable", "hi ${name}!", "hi fluxiac!"],
    ["$var without braces is left alone", "$name and $HOME", "$name and $HOME"],
    ["$${var} escapes to a literal ${var}", "$${name}", "${name}"],
    ["$$ escapes one dollar", "cost: $$5", "cost: $5"],
    ["a lone $ is text", "a $ b $", "a $ b $"],
    ["text around several variables", "${name}-${version}", "fluxiac-v1.2.3"],
    [":= default for an unset variable", "${missing:=fallback}", "fallback"],
    [":= default for an empty variable", "${empty:=fallback}", "fallback"],
    [":= keeps a set value", "${name:=fallback}", "fluxiac"],
    [":- default", "${missing:-x}", "x"],
    ["= default", "${missing=y}", "y"],
    ["empty default", "${missing:=}", ""],
    ["default made of text and a variable", "${missing:=v-${version}}", "v-v1.2.3"],
    ["substring from a position", "${long:2}", "cdef"],
    ["substring with a length", "${long:1:3}", "bcd"],
    ["substring with a negative length", "${long:1:-1}", "bcde"],
    ["substring past the end", "${long:10}", ""],
    ["substring with a variable position", "${long:${n}}", "cdef"],
    ["length", "${#long}", "6"],
    ["upper case", "${name^^}", "FLUXIAC"],
    ["upper-case first", "${name^}", "Fluxiac"],
    ["lower case", "${name,,}", "fluxiac"],
    ["replace first", "${path/\\//:}", ":usr/local/bin"],
    ["replace all", "${path//\\//:}", ":usr:local:bin"],
    ["replace prefix", "${version/#v/V}", "V1.2.3"],
    ["replace suffix", "${version/%3/4}", "v1.2.4"],
    ["delete a match", "${version/./}", "v12.3"],
    ["trim shortest prefix", "${path#*/}", "usr/local/bin"],
    ["trim longest prefix", "${version##*.}", "3"],
    ["trim shortest suffix", "${version%.*}", "v1.2"],
    ["trim longest suffix", "${version%%.*}", "v1"],
    ["YAML around it", "image: repo/app:${version}\nreplicas: ${n}\n", "image: repo/app:v1.2.3\nreplicas: 2\n"],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => assert.equal(envsubst(input, lookup), want));
  }

  const failures: [string, string, RegExp][] = [
    ["an unset variable (strict)", "x: ${missing}", /variable not set \(strict mode\): "missing"/],
    ["an unset variable under a transformation (strict)", "${missing^^}", /variable not set \(strict mode\): "missing"/],
    ["an unset variable inside a default", "${missing:=${other}}", /variable not set \(strict mode\): "other"/],
    ["a missing closing brace", "${name", /missing closing brace|bad substitution/],
    ["an empty name", "${}", /unable to parse variable name/],
    ["an unsupported operator", "${name-x}", /missing closing brace/],
  ];
  for (const [name, input, want] of failures) {
    test(`fails on ${name}`, () => assert.throws(() => envsubst(input, lookup), (err: unknown) => err instanceof EnvsubstError && want.test(err.message)));
  }

  test("the strict-mode error carries the variable's name", () => {
    assert.throws(() => envsubst("${cluster_name}", lookup), (err: unknown) => err instanceof EnvsubstError && err.variable === "cluster_name");
  });
});

describe("substituteObjects", () => {
  const cm = (data: Record<string, string>, metadata: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "app", namespace: "default", ...metadata },
    data,
  });
  const deploy = (): KubeObject => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: "${replicas}", paused: "${paused:=false}" } });

  test("values are re-typed by YAML, as Flux's YAML round trip does", () => {
    const [d] = substituteObjects([deploy()], new Map([["replicas", "3"]]), undefined);
    assert.deepEqual(d.spec, { replicas: 3, paused: false });
  });

  test("no variables and the default strategy: objects are left as they are, even with unset variables", () => {
    const objs = [cm({ a: "${undefined_var}" })];
    assert.equal(substituteObjects(objs, new Map(), undefined)[0], objs[0]);
    assert.equal(substituteObjects(objs, new Map(), "WithVariables")[0], objs[0]);
  });

  test("substituteStrategy Always substitutes without variables: defaults apply and unset variables fail", () => {
    assert.deepEqual(substituteObjects([cm({ a: "${x:=1}" })], new Map(), "Always")[0].data, { a: 1 });
    assert.throws(() => substituteObjects([cm({ a: "${x}" })], new Map(), "Always"), /variable "x" is not set \(strict mode\)/);
  });

  test("an unset variable names the variable and the object, and the fix", () => {
    assert.throws(
      () => substituteObjects([cm({ a: "${known}" }), cm({ b: "${cluster_region}" }, { name: "other" })], new Map([["known", "k"]]), undefined),
      (err: unknown) =>
        err instanceof SubstituteError &&
        /ConfigMap\/default\/other failed: variable "cluster_region" is not set \(strict mode\); set it in postBuild.substitute or postBuild.substituteFrom, or give it a default/.test(err.message),
    );
  });

  for (const where of ["labels", "annotations"] as const) {
    test(`the ${where} opt-out (kustomize.toolkit.fluxcd.io/substitute: disabled) leaves the object untouched`, () => {
      const o = cm({ a: "${x}" }, { [where]: { "kustomize.toolkit.fluxcd.io/substitute": "disabled" } });
      assert.equal(substituteObjects([o], new Map([["y", "1"]]), undefined)[0], o);
    });
  }

  test("$var and $${var} survive substitution unchanged and unescaped", () => {
    const [o] = substituteObjects([cm({ a: "$HOME", b: "$${x}", c: "${x}" })], new Map([["x", "v"]]), undefined);
    assert.deepEqual(o.data, { a: "$HOME", b: "${x}", c: "v" });
  });
});
