import assert from "node:assert/strict";
import {
  cleanPath,
  escapePath,
  isValidEncodedPath,
  joinPath,
  joinPreservingTrailingSlash,
  unescapePath,
} from "./_go_path.ts";

Deno.test("cleanPath() gives Go's path.Clean results", async (t) => {
  const cases: [string, string][] = [
    ["", "."],
    ["/", "/"],
    ["a/b/", "a/b"],
    ["//a//b", "/a/b"],
    ["/a/./b/../c", "/a/c"],
    ["/../..", "/"],
    ["../a", "../a"],
    ["a/../..", ".."],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(cleanPath(input), want));
  }
});

Deno.test("joinPath() and joinPreservingTrailingSlash() join as Go's path.Join does", async (t) => {
  const cases: [string[], string, string][] = [
    [["", ""], "", ""],
    [["", "/"], "/", "/"],
    [["", "/a/b/"], "/a/b", "/a/b/"],
    [["/api/proxy", "/x"], "/api/proxy/x", "/api/proxy/x"],
    [["/api/proxy", ""], "/api/proxy", "/api/proxy"],
    [["/p", "/a/", ""], "/p/a", "/p/a/"],
  ];
  for (const [elems, plain, trailing] of cases) {
    await t.step(JSON.stringify(elems), () => {
      assert.equal(joinPath(...elems), plain);
      assert.equal(joinPreservingTrailingSlash(...elems), trailing);
    });
  }
});

Deno.test("escapePath() escapes as Go's URL.EscapedPath and unescapePath() undoes it", async (t) => {
  const cases: [string, string][] = [
    ["/a/b", "/a/b"],
    ["/web:8080/x;y=1@z", "/web:8080/x;y=1@z"],
    ["/a b/ü", "/a%20b/%C3%BC"],
    ["/q?x", "/q%3Fx"],
    ["/it's(1)!", "/it%27s%281%29%21"],
  ];
  for (const [decoded, escaped] of cases) {
    await t.step(decoded, () => {
      assert.equal(escapePath(decoded), escaped);
      assert.equal(unescapePath(escaped), decoded);
    });
  }
  await t.step("a malformed escape is Go's error", () => {
    assert.throws(() => unescapePath("/a%zzb"), {
      name: "SyntaxError",
      message: 'invalid URL escape "%zz"',
    });
    assert.throws(() => unescapePath("/a%4"), { message: 'invalid URL escape "%4"' });
  });
  await t.step("isValidEncodedPath() accepts what Go keeps as written", () => {
    assert.equal(isValidEncodedPath("/a/%41!(x)"), true);
    assert.equal(isValidEncodedPath("/a b"), false);
  });
});
