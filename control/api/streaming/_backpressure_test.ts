import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { HIGH_WATER_BYTES, Throttle } from "./_backpressure.ts";

class FakeSocket extends EventEmitter {
  paused = false;
  writableLength = 0;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

Deno.test("Throttle pauses the source while the destination is full, until it drains", () => {
  const from = new FakeSocket();
  const to = new FakeSocket();
  const throttle = new Throttle(from, to);
  to.writableLength = HIGH_WATER_BYTES;
  throttle.check();
  assert.equal(from.paused, false, "at the mark: still flowing");
  to.writableLength = HIGH_WATER_BYTES + 1;
  throttle.check();
  throttle.check();
  assert.equal(from.paused, true);
  assert.equal(to.listenerCount("drain"), 1, "one wait at a time");
  to.writableLength = 0;
  to.emit("drain");
  assert.equal(from.paused, false);
  to.writableLength = HIGH_WATER_BYTES + 1;
  throttle.check();
  to.emit("close");
  assert.equal(from.paused, false, "a closed destination releases the source");
});
