import assert from "node:assert/strict";
import { HostChannel } from "./_host_channel.ts";

/** A child that answers each command line with `{"event":"echo", …the command}`. */
function echoChild(): Deno.ChildProcess {
  const script = `
    import { readLines } from ${JSON.stringify(new URL("./_lines.ts", import.meta.url).href)};
    console.log("not json");
    console.log(JSON.stringify({ event: "ready" }));
    for await (const line of readLines(Deno.stdin.readable)) {
      const cmd = JSON.parse(line);
      if (cmd.stop) break;
      console.log(JSON.stringify({ event: "echo", ...cmd }));
    }`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
}

Deno.test("HostChannel answers commands with the events of their type", async () => {
  const child = echoChild();
  const channel = new HostChannel(child, (e, ms) => `No "${e}" within ${ms} ms`);
  assert.deepEqual(await channel.next("ready", 30_000), { event: "ready" });
  assert.deepEqual(await channel.command({ n: 1 }, "echo"), { event: "echo", n: 1 });
  await channel.stop();
  assert.equal((await child.status).code, 0);
});

Deno.test("HostChannel.next() rejects with the given words when no event comes", async () => {
  const child = echoChild();
  const channel = new HostChannel(child, (e, ms) => `No "${e}" within ${ms} ms`);
  await assert.rejects(channel.next("never", 50), { message: 'No "never" within 50 ms' });
  await channel.stop();
});
