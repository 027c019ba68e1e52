import assert from "node:assert/strict";
import { pidsWhere } from "./processes.ts";

Deno.test("pidsWhere() finds a process by its argv", async () => {
  const marker = `skiff-pids-where-${crypto.randomUUID()}`;
  const args = ["eval", "await new Promise((r) => setTimeout(r, 30_000))", marker];
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "null" }).spawn();
  try {
    const found = async () => await pidsWhere((argv) => argv.includes(marker));
    for (let i = 0; i < 100 && (await found()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await found(), [child.pid]);
    assert.deepEqual(await pidsWhere((argv) => argv.at(-1) === marker && argv[1] === "eval"), [
      child.pid,
    ]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.deepEqual(await pidsWhere((argv) => argv.includes(marker)), []);
});
