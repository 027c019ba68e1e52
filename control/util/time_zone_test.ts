import assert from "node:assert/strict";
import { loadLocationError, TimeZone, utcMs } from "./time_zone.ts";

Deno.test("loadLocationError() accepts what Go's time.LoadLocation loads", async (t) => {
  const cases: readonly [string, string | null][] = [
    ["", null],
    ["UTC", null],
    ["Local", null],
    ["America/New_York", null],
    ["Europe/Berlin", null],
    ["Etc/UTC", null],
    ["US/Eastern", null],
    ["America/Argentina/Buenos_Aires", null],
    ["Etc/GMT+5", null],
    ["europe/berlin", "unknown time zone europe/berlin"],
    ["america/new_york", "unknown time zone america/new_york"],
    ["AMERICA/NEW_YORK", "unknown time zone AMERICA/NEW_YORK"],
    ["utc", "unknown time zone utc"],
    ["Mars/Olympus", "unknown time zone Mars/Olympus"],
    ["../etc/passwd", "time: invalid location name"],
    ["/etc/localtime", "time: invalid location name"],
  ];
  for (const [name, want] of cases) {
    await t.step(`"${name}"`, () => assert.equal(loadLocationError(name), want));
  }
});

Deno.test("TimeZone.instant() picks times in DST gaps and overlaps as Go's time.Date", async (t) => {
  const ny = new TimeZone("America/New_York");
  const berlin = new TimeZone("Europe/Berlin");
  const cases: readonly [TimeZone, [number, number, number], [number, number, number], string][] = [
    [ny, [2012, 3, 11], [1, 30, 0], "2012-03-11T06:30:00.000Z"],
    // 02:30 does not exist: read with the offset after the gap (EDT), so 01:30 EST
    [ny, [2012, 3, 11], [2, 30, 0], "2012-03-11T06:30:00.000Z"],
    [ny, [2012, 3, 11], [3, 30, 0], "2012-03-11T07:30:00.000Z"],
    // 01:30 happens twice: the first (EDT)
    [ny, [2012, 11, 4], [1, 30, 0], "2012-11-04T05:30:00.000Z"],
    // East of UTC the same rule gives the other side: 02:30 in Berlin's gap is 03:30 CEST,
    // and its repeated 02:30 the second one (CET)
    [berlin, [2024, 3, 31], [2, 30, 0], "2024-03-31T01:30:00.000Z"],
    [berlin, [2024, 10, 27], [2, 30, 0], "2024-10-27T01:30:00.000Z"],
    // fields roll over: 2025-02-02 02:01 CET
    [berlin, [2024, 13, 32], [25, 61, 0], "2025-02-02T01:01:00.000Z"],
  ];
  for (const [zone, date, time, want] of cases) {
    await t.step(`${zone.name} ${date.join("-")} ${time.join(":")}`, () => {
      assert.equal(new Date(zone.instant(date, time)).toISOString(), want);
    });
  }
});

Deno.test("TimeZone.wall() and formatRfc3339() read instants in the zone", () => {
  const berlin = new TimeZone("Europe/Berlin");
  const summer = utcMs([2024, 7, 1], [10, 0, 0]);
  assert.deepEqual(berlin.wall(summer), {
    year: 2024,
    month: 7,
    day: 1,
    hour: 12,
    minute: 0,
    second: 0,
    weekday: 1,
    offsetMs: 7_200_000,
  });
  assert.equal(berlin.formatRfc3339(summer), "2024-07-01T12:00:00+02:00");
  assert.equal(new TimeZone("America/New_York").formatRfc3339(summer), "2024-07-01T06:00:00-04:00");
  assert.equal(new TimeZone("").formatRfc3339(summer + 999), "2024-07-01T10:00:00Z");
  assert.equal(new TimeZone("Asia/Kolkata").formatRfc3339(summer), "2024-07-01T15:30:00+05:30");
});

Deno.test("TimeZone.addDate() keeps the wall time across a DST change", () => {
  const berlin = new TimeZone("Europe/Berlin");
  const before = berlin.instant([2024, 3, 30], [12, 0, 0]);
  assert.equal(
    berlin.formatRfc3339(berlin.addDate(before, [0, 0, 1])),
    "2024-03-31T12:00:00+02:00",
  );
  assert.equal(
    berlin.formatRfc3339(berlin.addDate(before, [0, 1, 0])),
    "2024-04-30T12:00:00+02:00",
  );
});

Deno.test("new TimeZone() refuses unknown zones with Go's message", () => {
  assert.throws(
    () => new TimeZone("Mars/Olympus"),
    new RangeError("unknown time zone Mars/Olympus"),
  );
  assert.equal(new TimeZone("Local", { local: "Asia/Tokyo" }).name, "Asia/Tokyo");
});
