import assert from "node:assert/strict";
import { terminate } from "./terminate.ts";

Deno.test("terminate() stops a process that heeds SIGTERM within the grace period", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" })
    .spawn();
  assert.equal(await terminate(child, 5_000), true);
  assert.equal((await child.status).signal, "SIGTERM");
});

Deno.test("terminate() answers false for a process that ignores SIGTERM", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "trap '' TERM; sleep 30 & wait"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Give the shell a moment to install its trap.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await terminate(child, 300), false);
  child.kill("SIGKILL");
  await child.status;
});

Deno.test("terminate() of a process that has exited is true", async () => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  assert.equal(await terminate(child, 1_000), true);
});
