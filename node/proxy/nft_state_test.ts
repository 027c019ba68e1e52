import assert from "node:assert/strict";
import type { NftFragment } from "./nft_ruleset.ts";
import { MAX_UNUSED_SHARED_CHAINS, NftState } from "./nft_state.ts";

const BASE = ["add table ip t", "add map ip t m { type ipv4_addr : verdict; }"];

function fragment(init: Partial<NftFragment>): NftFragment {
  return { elements: [], chains: [], affinitySets: [], ...init };
}

function web(endpoint: string): NftFragment {
  return fragment({
    elements: [
      { map: "m", key: "10.43.0.5", value: "goto c-1" },
      { map: "e", key: "10.43.0.5 . 0", value: endpoint },
      { map: "s", key: "10.43.0.5", value: "" },
    ],
    chains: [{ name: "c-1", rules: ["dnat to x"] }],
  });
}

function committed(): NftState {
  const state = new NftState({ table: "t", baseCommands: BASE });
  state.setFragment("shop/web", web("10.42.0.7 . 80"));
  state.full();
  state.commit(true);
  return state;
}

Deno.test("NftState.full() rebuilds the table with every fragment", () => {
  const state = new NftState({ table: "t", baseCommands: BASE });
  state.setFragment("shop/web", web("10.42.0.7 . 80"));
  const tx = state.full();
  assert.equal(
    tx.text,
    `add table ip t
delete table ip t
add table ip t
add map ip t m { type ipv4_addr : verdict; }
add chain ip t c-1
add rule ip t c-1 dnat to x
add element ip t m { 10.43.0.5 : goto c-1 }
add element ip t e { 10.43.0.5 . 0 : 10.42.0.7 . 80 }
add element ip t s { 10.43.0.5 }
`,
  );
  assert.equal(tx.elementsAdded, 3);
  assert.ok(state.dirty);
  state.commit(true);
  assert.ok(!state.dirty);
  assert.equal(state.incremental().text, "");
  assert.equal(state.kernelElement("e", "10.43.0.5 . 0"), "10.42.0.7 . 80");
});

Deno.test("NftState.incremental() sends only what changed", async (t) => {
  await t.step("a changed value is a delete and an add", () => {
    const state = committed();
    state.setFragment("shop/web", web("10.42.0.8 . 80"));
    const tx = state.incremental();
    assert.equal(
      tx.text,
      `delete element ip t e { 10.43.0.5 . 0 }
add element ip t e { 10.43.0.5 . 0 : 10.42.0.8 . 80 }
`,
    );
    assert.deepEqual([tx.elementsAdded, tx.elementsDeleted, tx.chainsWritten], [1, 1, 0]);
    state.commit(false);
    assert.equal(state.kernelElement("e", "10.43.0.5 . 0"), "10.42.0.8 . 80");
    assert.equal(state.incremental().text, "");
  });

  await t.step("removing then re-adding the same fragment changes nothing", () => {
    const state = committed();
    state.setFragment("shop/web", undefined);
    state.setFragment("shop/web", web("10.42.0.7 . 80"));
    assert.equal(state.incremental().text, "");
  });

  await t.step("a removed Service takes its elements, then its last chain", () => {
    const state = committed();
    state.setFragment(
      "shop/other",
      fragment({
        elements: [{ map: "m", key: "10.43.0.6", value: "goto c-1" }],
        chains: [{ name: "c-1", rules: ["dnat to x"] }],
      }),
    );
    assert.equal(state.incremental().text, "add element ip t m { 10.43.0.6 : goto c-1 }\n");
    state.commit(false);
    state.setFragment("shop/web", undefined);
    // c-1 is still used by shop/other.
    assert.equal(
      state.incremental().text,
      `delete element ip t m { 10.43.0.5 }
delete element ip t e { 10.43.0.5 . 0 }
delete element ip t s { 10.43.0.5 }
`,
    );
    state.commit(false);
    state.setFragment("shop/other", undefined);
    assert.equal(
      state.incremental().text,
      `delete element ip t m { 10.43.0.6 }
flush chain ip t c-1
delete chain ip t c-1
`,
    );
  });

  await t.step("a new chain and set come before the elements that use them", () => {
    const state = committed();
    state.setFragment(
      "shop/web",
      fragment({
        elements: [{ map: "m", key: "10.43.0.5", value: "goto svc" }],
        chains: [{ name: "svc", rules: ["ip saddr @aff goto ep", "goto ep"] }, {
          name: "ep",
          rules: ["update @aff { ip saddr }"],
        }],
        affinitySets: [{ name: "aff", timeoutSeconds: 60 }],
      }),
    );
    const tx = state.incremental();
    assert.equal(
      tx.text,
      `add chain ip t svc
add chain ip t ep
add set ip t aff { type ipv4_addr; flags dynamic,timeout; timeout 60s; }
add rule ip t svc ip saddr @aff goto ep
add rule ip t svc goto ep
add rule ip t ep update @aff { ip saddr }
delete element ip t m { 10.43.0.5 }
delete element ip t e { 10.43.0.5 . 0 }
delete element ip t s { 10.43.0.5 }
add element ip t m { 10.43.0.5 : goto svc }
flush chain ip t c-1
delete chain ip t c-1
`,
    );
    state.commit(false);
    // A changed chain is flushed and refilled; a dropped set goes after the flush.
    state.setFragment(
      "shop/web",
      fragment({
        elements: [{ map: "m", key: "10.43.0.5", value: "goto svc" }],
        chains: [{ name: "svc", rules: ["goto ep2"] }, { name: "ep2", rules: ["dnat to y"] }],
      }),
    );
    assert.equal(
      state.incremental().text,
      `add chain ip t ep2
flush chain ip t svc
add rule ip t svc goto ep2
add rule ip t ep2 dnat to y
flush chain ip t ep
delete chain ip t ep
delete set ip t aff
`,
    );
  });
});

Deno.test("NftState resolves two owners of one element by owner order", () => {
  const state = committed();
  const lb = (value: string) =>
    fragment({ elements: [{ map: "m", key: "192.0.2.1 . tcp . 80", value }] });
  state.setFragment("shop/zz", lb("goto z"));
  state.setFragment("shop/aa", lb("goto a"));
  assert.equal(state.desiredElement("m", "192.0.2.1 . tcp . 80"), "goto a");
  assert.equal(state.incremental().text, "add element ip t m { 192.0.2.1 . tcp . 80 : goto a }\n");
  state.commit(false);
  state.setFragment("shop/aa", undefined);
  assert.equal(
    state.incremental().text,
    `delete element ip t m { 192.0.2.1 . tcp . 80 }
add element ip t m { 192.0.2.1 . tcp . 80 : goto z }
`,
  );
});

Deno.test("NftState keeps the uncommitted changes after a failed transaction", () => {
  const state = committed();
  state.setFragment("shop/web", web("10.42.0.8 . 80"));
  state.incremental();
  // The transaction failed: nothing is committed, and a full rebuild has the new state.
  assert.ok(state.dirty);
  assert.equal(state.kernelElement("e", "10.43.0.5 . 0"), "10.42.0.7 . 80");
  assert.match(state.full().text, /10\.43\.0\.5 \. 0 : 10\.42\.0\.8 \. 80/);
  state.commit(true);
  assert.equal(state.kernelElement("e", "10.43.0.5 . 0"), "10.42.0.8 . 80");
  assert.ok(!state.dirty);
});

Deno.test("NftState keeps unused shared chains, up to a bound, until a full rebuild", () => {
  const state = new NftState({ table: "t", baseCommands: BASE });
  const shape = (n: number): NftFragment =>
    fragment({
      elements: [{ map: "m", key: "10.43.0.5", value: `goto cluster-tcp-${n}` }],
      chains: [{ name: `cluster-tcp-${n}`, rules: [`mod ${n}`], shared: true }],
    });
  state.setFragment("shop/web", shape(2));
  state.full();
  state.commit(true);
  state.setFragment("shop/web", shape(3));
  assert.equal(
    state.incremental().text,
    `add chain ip t cluster-tcp-3
add rule ip t cluster-tcp-3 mod 3
delete element ip t m { 10.43.0.5 }
add element ip t m { 10.43.0.5 : goto cluster-tcp-3 }
`,
  );
  state.commit(false);
  // Back to two endpoints: cluster-tcp-2 is still there, cluster-tcp-3 stays too.
  state.setFragment("shop/web", shape(2));
  assert.equal(
    state.incremental().text,
    `delete element ip t m { 10.43.0.5 }
add element ip t m { 10.43.0.5 : goto cluster-tcp-2 }
`,
  );
  state.commit(false);
  // Past the bound, the oldest unused chains go: cluster-tcp-3 (unused first), then 2.
  const texts: string[] = [];
  for (let n = 4; n < 4 + MAX_UNUSED_SHARED_CHAINS + 1; n++) {
    state.setFragment("shop/web", shape(n));
    texts.push(state.incremental().text);
    state.commit(false);
  }
  const deleted = texts.flatMap((tx) =>
    [...tx.matchAll(/delete chain ip t (\S+)/g)].map((m) => m[1])
  );
  assert.deepEqual(deleted, ["cluster-tcp-3", "cluster-tcp-2"]);
  state.setFragment("shop/web", shape(2));
  assert.match(state.incremental().text, /^add chain ip t cluster-tcp-2\n/);
  state.commit(false);
  // A full rebuild has only the chains in use.
  const full = state.full().text;
  assert.match(full, /add chain ip t cluster-tcp-2\n/);
  assert.ok(!full.includes("cluster-tcp-4"));
});
