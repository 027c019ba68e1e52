import assert from "node:assert/strict";
import { findTailStart } from "./_tail.ts";

function line(i: number, tag = "F", text = `line ${i}`): string {
  return `2026-11-22T05:32:${String(i % 60).padStart(2, "0")}.1Z stdout ${tag} ${text}\n`;
}

async function withFile(text: string, fn: (f: Deno.FsFile) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, text);
    using f = await Deno.open(path);
    await fn(f);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("findTailStart() finds the last N lines across block boundaries", async (t) => {
  const lines = Array.from({ length: 50 }, (_, i) => line(i));
  const text = lines.join("");
  const offsetOf = (k: number) => lines.slice(0, k).join("").length;
  for (const blockBytes of [7, 64, 100, 1 << 16]) {
    for (const n of [0, 1, 3, 49, 50, 80]) {
      await t.step(`block ${blockBytes}, tail ${n}`, async () => {
        await withFile(text, async (f) => {
          const got = await findTailStart(f, { lines: n, blockBytes });
          assert.equal(got, offsetOf(Math.max(0, 50 - n)));
        });
      });
    }
  }
});

Deno.test("findTailStart() counts joined partial lines once", async () => {
  const lines = [
    line(0),
    line(1, "P", "a".repeat(100)),
    line(2, "P", "b".repeat(100)),
    line(3, "F", "c"),
    line(4),
  ];
  const text = lines.join("");
  await withFile(text, async (f) => {
    assert.equal(await findTailStart(f, { lines: 2, blockBytes: 16 }), lines[0]?.length);
    assert.equal(
      await findTailStart(f, { lines: 1, blockBytes: 16 }),
      text.length - (lines[4]?.length ?? 0),
    );
    assert.equal(await findTailStart(f, { lines: -1 }), 0);
  });
});

Deno.test("findTailStart() keeps an unterminated last line with the tail", async () => {
  const text = line(0) + line(1) + "2026-11-22T05:32:13Z stdout F unfinis";
  await withFile(text, async (f) => {
    assert.equal(await findTailStart(f, { lines: 1, blockBytes: 10 }), line(0).length);
  });
});

Deno.test("findTailStart() on an empty file is 0", async () => {
  await withFile("", async (f) => assert.equal(await findTailStart(f, { lines: 5 }), 0));
});
