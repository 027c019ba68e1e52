import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import { releaseStaleCniAddresses } from "./stale_addresses.ts";

Deno.test("releaseStaleCniAddresses() frees old addresses of sandboxes that are gone", async () => {
  const root = await Deno.makeTempDir({ prefix: "skiff-stale-" });
  try {
    const dir = `${root}/skiff`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/10.42.0.2`, "live\r\neth0");
    await Deno.writeTextFile(`${dir}/10.42.0.3`, "gone\r\neth0");
    await Deno.writeTextFile(`${dir}/10.42.0.4`, "young\r\neth0");
    await Deno.writeTextFile(`${dir}/last_reserved_ip.0`, "10.42.0.4");
    const old = new Date(Date.now() - 600_000);
    await Deno.utime(`${dir}/10.42.0.2`, old, old);
    await Deno.utime(`${dir}/10.42.0.3`, old, old);
    const clock = new FakeClock(Date.now());
    const freed = await releaseStaleCniAddresses({
      ipamDataDir: root,
      liveSandboxIds: new Set(["live"]),
      clock,
    });
    assert.deepEqual(freed, ["10.42.0.3"]);
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["10.42.0.2", "10.42.0.4", "last_reserved_ip.0", "lock"]);
    clock.advance(600_000);
    assert.deepEqual(
      await releaseStaleCniAddresses({
        ipamDataDir: root,
        liveSandboxIds: new Set(["live"]),
        clock,
      }),
      ["10.42.0.4"],
    );
    assert.deepEqual(
      await releaseStaleCniAddresses({
        ipamDataDir: `${root}/none`,
        liveSandboxIds: new Set(),
        clock,
      }),
      [],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
