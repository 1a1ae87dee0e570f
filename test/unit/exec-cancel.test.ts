// run's cancellation of a process group: SIGKILL at once by default, SIGTERM then SIGKILL with graceMs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/core/exec";

/** SCRIPT says "terminated" when it gets SIGTERM, and otherwise waits on a child for 30 s. */
const SCRIPT = 'trap \'echo terminated; exit 3\' TERM; echo started; sleep 30 & wait';

const cases: { name: string; graceMs?: number; stdout: string }[] = [
  { name: "without graceMs the group is killed at once: the command cannot react", stdout: "started\n" },
  { name: "with graceMs the group gets SIGTERM first: the command finishes cleanly", graceMs: 5_000, stdout: "started\nterminated\n" },
];

for (const c of cases) {
  test(c.name, async () => {
    // Given a command in its own process group
    const abort = new AbortController();
    const started = Date.now();
    const result = run("sh", ["-c", SCRIPT], { signal: abort.signal, processGroup: true, graceMs: c.graceMs });
    // When the signal fires
    setTimeout(() => abort.abort(), 300);
    const r = await result;
    // Then the command ends well before its 30 s, as the case says
    assert.ok(Date.now() - started < 4_000, `ended after ${Date.now() - started} ms`);
    assert.equal(r.stdout, c.stdout);
  });
}
