import assert from "node:assert/strict";
import {
  encodeWebSocketFrame,
  WebSocketFrameParser,
  WebSocketOpcode,
  WebSocketProtocolError,
} from "./frame.ts";

const MASK = Uint8Array.of(1, 2, 3, 4);

Deno.test("encodeWebSocketFrame() and WebSocketFrameParser round-trip every length encoding", async (t) => {
  for (const n of [0, 1, 125, 126, 65535, 65536, 200_000]) {
    await t.step(`${n} bytes`, () => {
      const payload = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
      const masked = encodeWebSocketFrame({ opcode: WebSocketOpcode.Binary, payload, mask: MASK });
      const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
      assert.equal(masked.byteLength, header + 4 + n);
      const [frame] = new WebSocketFrameParser({ expectMasked: true }).push(masked);
      assert.deepEqual(frame, { fin: true, opcode: WebSocketOpcode.Binary, payload });
      const plain = encodeWebSocketFrame({ opcode: WebSocketOpcode.Text, payload, fin: false });
      assert.equal(plain[0], 0x01, "no FIN, text");
      assert.deepEqual(new WebSocketFrameParser({ expectMasked: false }).push(plain), [
        { fin: false, opcode: WebSocketOpcode.Text, payload },
      ]);
    });
  }
});

Deno.test("WebSocketFrameParser takes frames split anywhere and several in one chunk", () => {
  const a = encodeWebSocketFrame({
    opcode: WebSocketOpcode.Binary,
    payload: Uint8Array.of(1, 2, 3),
    mask: MASK,
  });
  const b = encodeWebSocketFrame({
    opcode: WebSocketOpcode.Ping,
    payload: Uint8Array.of(9),
    mask: MASK,
  });
  const c = encodeWebSocketFrame({
    opcode: WebSocketOpcode.Binary,
    payload: new Uint8Array(70_000),
    mask: MASK,
  });
  const all = new Uint8Array([...a, ...b, ...c]);
  for (const cut of [1, 2, 5, a.byteLength, a.byteLength + 3, all.byteLength - 1]) {
    const parser = new WebSocketFrameParser({ expectMasked: true });
    const frames = [...parser.push(all.slice(0, cut)), ...parser.push(all.slice(cut))];
    assert.deepEqual(frames.map((f) => [f.opcode, f.payload.byteLength]), [
      [WebSocketOpcode.Binary, 3],
      [WebSocketOpcode.Ping, 1],
      [WebSocketOpcode.Binary, 70_000],
    ], `cut at ${cut}`);
  }
  // Byte by byte, a large frame is joined once.
  const parser = new WebSocketFrameParser({ expectMasked: true });
  let got = 0;
  for (let i = 0; i < c.byteLength; i += 1000) got += parser.push(c.slice(i, i + 1000)).length;
  assert.equal(got, 1);
});

Deno.test("WebSocketFrameParser refuses what the peer must not send", async (t) => {
  const cases: [string, Uint8Array, boolean, number][] = [
    [
      "an unmasked client frame",
      encodeWebSocketFrame({ opcode: 2, payload: Uint8Array.of(1) }),
      true,
      1002,
    ],
    [
      "a masked server frame",
      encodeWebSocketFrame({ opcode: 2, payload: Uint8Array.of(1), mask: MASK }),
      false,
      1002,
    ],
    ["reserved bits", Uint8Array.of(0xc2, 0x00), false, 1002],
    [
      "a fragmented ping",
      encodeWebSocketFrame({
        opcode: WebSocketOpcode.Ping,
        payload: new Uint8Array(1),
        fin: false,
      }),
      false,
      1002,
    ],
    [
      "a long close",
      encodeWebSocketFrame({ opcode: WebSocketOpcode.Close, payload: new Uint8Array(126) }),
      false,
      1002,
    ],
    ["too large", encodeWebSocketFrame({ opcode: 2, payload: new Uint8Array(101) }), false, 1009],
  ];
  for (const [name, bytes, expectMasked, code] of cases) {
    await t.step(name, () => {
      const parser = new WebSocketFrameParser({ expectMasked, maxPayloadBytes: 100 });
      assert.throws(
        () => parser.push(bytes),
        (err: unknown) => err instanceof WebSocketProtocolError && err.code === code,
      );
    });
  }
});
