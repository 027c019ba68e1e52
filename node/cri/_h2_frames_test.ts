import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameFlag,
  FrameReader,
  FrameType,
  goawayPayload,
  H2ConnectionError,
  H2Error,
  h2ErrorName,
  parseGoaway,
  parseSettings,
  Setting,
  settingsPayload,
  unpadded,
} from "./_h2_frames.ts";

Deno.test("encodeFrame() writes the 9-octet header RFC 9113 §4.1 defines", () => {
  const frame = encodeFrame(
    { type: FrameType.HEADERS, flags: FrameFlag.END_HEADERS, streamId: 0x80000003 },
    Uint8Array.of(0xaa, 0xbb),
  );
  // Length 2, type 1, flags 4, the reserved bit cleared from the stream id.
  assert.deepEqual(frame, Uint8Array.of(0, 0, 2, 1, 4, 0, 0, 0, 3, 0xaa, 0xbb));
});

Deno.test("FrameReader cuts frames out of chunks of any size", async (t) => {
  const frames = [
    encodeFrame(
      { type: FrameType.SETTINGS, streamId: 0 },
      settingsPayload([[Setting.ENABLE_PUSH, 0]]),
    ),
    encodeFrame(
      { type: FrameType.DATA, flags: FrameFlag.END_STREAM, streamId: 1 },
      new Uint8Array(16_384).fill(3),
    ),
    encodeFrame({ type: FrameType.PING, streamId: 0 }, new Uint8Array(8)),
    encodeFrame({ type: FrameType.WINDOW_UPDATE, streamId: 0 }, Uint8Array.of(0, 0, 1, 0)),
  ];
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  for (const size of [1, 7, 9, 10, 4096, 20_000, all.length]) {
    await t.step(`chunks of ${size}`, () => {
      const reader = new FrameReader();
      const seen: [number, number, number, number][] = [];
      for (let i = 0; i < all.length; i += size) {
        for (const f of reader.push(all.slice(i, i + size))) {
          seen.push([f.type, f.flags, f.streamId, f.payload.length]);
        }
      }
      assert.deepEqual(seen, [
        [FrameType.SETTINGS, 0, 0, 6],
        [FrameType.DATA, FrameFlag.END_STREAM, 1, 16_384],
        [FrameType.PING, 0, 0, 8],
        [FrameType.WINDOW_UPDATE, 0, 0, 4],
      ]);
    });
  }
  await t.step("a frame over the limit is a FRAME_SIZE_ERROR", () => {
    const reader = new FrameReader();
    assert.throws(() => reader.push(Uint8Array.of(0, 0x40, 1, 0, 0, 0, 0, 0, 1)), (err) => {
      assert.ok(err instanceof H2ConnectionError);
      assert.equal(err.code, H2Error.FRAME_SIZE_ERROR);
      return true;
    });
  });
});

Deno.test("unpadded() strips padding and HEADERS priority fields", async (t) => {
  await t.step("padded DATA", () => {
    const frame = {
      type: FrameType.DATA,
      flags: FrameFlag.PADDED,
      streamId: 1,
      payload: Uint8Array.of(2, 7, 8, 0, 0),
    };
    assert.deepEqual(unpadded(frame), Uint8Array.of(7, 8));
  });
  await t.step("padded HEADERS with priority", () => {
    const frame = {
      type: FrameType.HEADERS,
      flags: FrameFlag.PADDED | FrameFlag.PRIORITY,
      streamId: 1,
      payload: Uint8Array.of(1, 0, 0, 0, 0, 16, 0x82, 0),
    };
    assert.deepEqual(unpadded(frame), Uint8Array.of(0x82));
  });
  await t.step("padding longer than the frame", () => {
    const frame = {
      type: FrameType.DATA,
      flags: FrameFlag.PADDED,
      streamId: 1,
      payload: Uint8Array.of(5, 1),
    };
    assert.throws(
      () => unpadded(frame),
      (err) => err instanceof H2ConnectionError && err.code === H2Error.PROTOCOL_ERROR,
    );
  });
});

Deno.test("SETTINGS and GOAWAY payloads round-trip", () => {
  const settings: [number, number][] = [[Setting.INITIAL_WINDOW_SIZE, 1 << 20], [
    Setting.MAX_FRAME_SIZE,
    16_384,
  ]];
  assert.deepEqual(parseSettings(settingsPayload(settings)), settings);
  assert.throws(() => parseSettings(new Uint8Array(5)), H2ConnectionError);
  assert.deepEqual(
    parseGoaway(
      goawayPayload({ lastStreamId: 7, code: H2Error.ENHANCE_YOUR_CALM, debug: "too_many_pings" }),
    ),
    { lastStreamId: 7, code: H2Error.ENHANCE_YOUR_CALM, debug: "too_many_pings" },
  );
  assert.equal(h2ErrorName(H2Error.CANCEL), "CANCEL");
  assert.equal(h2ErrorName(0x42), "0x42");
});
