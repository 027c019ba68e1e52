import assert from "node:assert/strict";
import {
  encodeControlFrame,
  encodeDataFrame,
  encodeHeadersFrame,
  SPDY_FLAG_FIN,
  SpdyFrameParser,
  SpdyProtocolError,
  SpdyRstStatus,
} from "./frames.ts";

Deno.test("SPDY frames round-trip through encode and SpdyFrameParser", async (t) => {
  const block = Uint8Array.of(1, 2, 3);
  const cases = [
    {
      bytes: encodeDataFrame(5, { data: Uint8Array.of(9, 8), fin: true }),
      want: { type: "data", streamId: 5, flags: SPDY_FLAG_FIN, data: Uint8Array.of(9, 8) },
    },
    {
      bytes: encodeHeadersFrame({
        type: "syn_stream",
        streamId: 3,
        headerBlock: block,
        priority: 2,
        associatedStreamId: 1,
      }),
      want: {
        type: "syn_stream",
        streamId: 3,
        associatedStreamId: 1,
        priority: 2,
        flags: 0,
        headerBlock: block,
      },
    },
    {
      bytes: encodeHeadersFrame({ type: "syn_reply", streamId: 3, headerBlock: block, flags: 1 }),
      want: { type: "syn_reply", streamId: 3, flags: 1, headerBlock: block },
    },
    {
      bytes: encodeHeadersFrame({ type: "headers", streamId: 7, headerBlock: block }),
      want: { type: "headers", streamId: 7, flags: 0, headerBlock: block },
    },
    {
      bytes: encodeControlFrame({ type: "rst_stream", streamId: 3, status: SpdyRstStatus.Cancel }),
      want: { type: "rst_stream", streamId: 3, status: 5 },
    },
    {
      bytes: encodeControlFrame({
        type: "settings",
        settings: [{ id: 7, flags: 1, value: 1 << 20 }],
      }),
      want: { type: "settings", flags: 0, settings: [{ id: 7, flags: 1, value: 1 << 20 }] },
    },
    { bytes: encodeControlFrame({ type: "ping", id: 3 }), want: { type: "ping", id: 3 } },
    {
      bytes: encodeControlFrame({ type: "goaway", lastGoodStreamId: 9, status: 0 }),
      want: { type: "goaway", lastGoodStreamId: 9, status: 0 },
    },
    {
      bytes: encodeControlFrame({ type: "window_update", streamId: 0, delta: 32768 }),
      want: { type: "window_update", streamId: 0, delta: 32768 },
    },
  ];
  for (const c of cases) {
    await t.step(c.want.type, () => {
      assert.deepEqual(new SpdyFrameParser().push(c.bytes), [c.want]);
    });
  }
  await t.step("every frame in one buffer, then byte by byte", () => {
    const all = new Uint8Array(cases.flatMap((c) => [...c.bytes]));
    assert.deepEqual(new SpdyFrameParser().push(all), cases.map((c) => c.want));
    const parser = new SpdyFrameParser();
    const got = [];
    for (let i = 0; i < all.byteLength; i++) got.push(...parser.push(all.subarray(i, i + 1)));
    assert.deepEqual(got, cases.map((c) => c.want));
  });
});

Deno.test("SPDY control frames carry version 3, as the wire format says", () => {
  const ping = encodeControlFrame({ type: "ping", id: 1 });
  assert.deepEqual([...ping], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
  const data = encodeDataFrame(1, { data: Uint8Array.of(0x41), fin: true });
  assert.deepEqual([...data], [0, 0, 0, 1, 0x01, 0, 0, 1, 0x41]);
  const v2 = Uint8Array.of(0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1);
  assert.throws(() => new SpdyFrameParser().push(v2), SpdyProtocolError);
});
