import assert from "node:assert/strict";
import { escapedPath, hostname, parseRequestUri, parseUrl, port, query } from "./_go_url.ts";

Deno.test("parseRequestUri() accepts absolute URIs and paths and refuses the rest as Go", async (t) => {
  const cases: [string, string | null][] = [
    ["https://user:pass@example.com:80/path?query=val#fragment", null],
    ["/absolute-path", null],
    ["mailto:someone@example.com", null],
    ["https://a:b:c/", 'parse "https://a:b:c/": invalid port ":c" after host'],
    ["../relative-path", 'parse "../relative-path": invalid URI for request'],
    ["", 'parse "": empty url'],
    [":x", 'parse ":x": missing protocol scheme'],
    ["/a%zz", 'parse "/a%zz": invalid URL escape "%zz"'],
    ["http://a b/", 'parse "http://a b/": invalid character " " in host name'],
    ["http://[::1/", `parse "http://[::1/": missing ']' in host`],
  ];
  for (const [raw, want] of cases) {
    await t.step(raw || "(empty)", () => {
      if (want === null) parseRequestUri(raw);
      else assert.throws(() => parseRequestUri(raw), { message: want });
    });
  }
});

Deno.test("parseUrl() gives the parts upstream's URL getters return", async (t) => {
  const cases: {
    raw: string;
    scheme: string;
    host: string;
    hostname: string;
    port: string;
    path: string;
  }[] = [
    { raw: "/path", scheme: "", host: "", hostname: "", port: "", path: "/path" },
    {
      raw: "https://example.com:80/",
      scheme: "https",
      host: "example.com:80",
      hostname: "example.com",
      port: "80",
      path: "/",
    },
    {
      raw: "HTTPS://[::1]:80/",
      scheme: "https",
      host: "[::1]:80",
      hostname: "::1",
      port: "80",
      path: "/",
    },
    {
      raw: "https://example.com/path with spaces/",
      scheme: "https",
      host: "example.com",
      hostname: "example.com",
      port: "",
      path: "/path%20with%20spaces/",
    },
    {
      raw: "https://example.com",
      scheme: "https",
      host: "example.com",
      hostname: "example.com",
      port: "",
      path: "",
    },
    {
      raw: "https://example.com/a%2Fb#frag",
      scheme: "https",
      host: "example.com",
      hostname: "example.com",
      port: "",
      path: "/a%2Fb",
    },
  ];
  for (const c of cases) {
    await t.step(c.raw, () => {
      const u = parseUrl(c.raw);
      assert.deepEqual(
        [u.scheme, u.host, hostname(u), port(u), escapedPath(u)],
        [c.scheme, c.host, c.hostname, c.port, c.path],
      );
    });
  }
});

Deno.test("query() reads query parameters in matrix form, unescaped", () => {
  const q = (raw: string) => Object.fromEntries(query(parseUrl(raw)));
  assert.deepEqual(q("https://example.com/path?k1=a&k2=b&k2=c"), { k1: ["a"], k2: ["b", "c"] });
  assert.deepEqual(q("https://example.com/path?key with spaces=value+with%20spaces"), {
    "key with spaces": ["value with spaces"],
  });
  assert.deepEqual(q("https://example.com/path?"), {});
  assert.deepEqual(q("https://example.com/path?a=%zz&b;c=1&d"), { d: [""] });
});
