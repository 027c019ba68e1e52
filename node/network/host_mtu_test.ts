import assert from "node:assert/strict";
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";
import { DenoCommandRunner } from "../containerd/command_runner.ts";
import { hostMtu } from "./host_mtu.ts";

function runner(
  answers: Record<string, Partial<CommandResult>>,
): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(argv) {
      const line = argv.join(" ");
      calls.push(line);
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...answers[line] });
    },
  };
}

Deno.test("hostMtu() reads the MTU of the default route's interface", async () => {
  const r = runner({
    "ip -j -4 route show default": {
      stdout: '[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]',
    },
    "ip -j link show dev eth0": { stdout: '[{"ifname":"eth0","mtu":1400}]' },
  });
  assert.equal(await hostMtu({ runner: r }), 1400);
  assert.deepEqual(r.calls, ["ip -j -4 route show default", "ip -j link show dev eth0"]);
});

Deno.test("hostMtu() takes a route's own MTU and falls back without a default route", async () => {
  assert.equal(
    await hostMtu({
      runner: runner({ "ip -j -4 route show default": { stdout: '[{"dev":"wg0","mtu":1380}]' } }),
    }),
    1380,
  );
  assert.equal(
    await hostMtu({ runner: runner({ "ip -j -4 route show default": { stdout: "[]" } }) }),
    1500,
  );
  assert.equal(
    await hostMtu({
      runner: runner({ "ip -j -4 route show default": { stdout: "" } }),
      fallback: 9000,
    }),
    9000,
  );
  await assert.rejects(
    () =>
      hostMtu({ runner: runner({ "ip -j -4 route show default": { code: 1, stderr: "boom" } }) }),
    /Cannot read the default route: boom/,
  );
});

Deno.test("hostMtu() answers a plausible MTU on this machine", async () => {
  const mtu = await hostMtu({ runner: new DenoCommandRunner() });
  assert.ok(Number.isInteger(mtu) && mtu >= 576 && mtu <= 65536, String(mtu));
});
