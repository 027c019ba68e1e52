import assert from "node:assert/strict";
import { formatUrl, parseUrl, rewriteProxyUrl } from "./proxy_url_rewrite.ts";

const PREFIX = "/api/v1/namespaces/default/pods/web:8080/proxy";
const CONTEXT = {
  pathPrepend: PREFIX,
  backendHost: "10.42.0.5:8080",
  requestHost: "127.0.0.1:6443",
};

Deno.test("parseUrl() and formatUrl() round-trip references as Go's url package", async (t) => {
  const cases = [
    "http://10.42.0.5:8080/a/b?x=1#frag",
    "/login?next=%2Fhome",
    "login",
    "../up",
    "?page=2",
    "#top",
    "mailto:someone@example.com",
    "//cdn.example.com/lib.js",
    "https://user:pw@host:8443/",
    "http:/only-path",
    "/a%20b",
  ];
  for (const url of cases) {
    await t.step(url, () => assert.equal(formatUrl(parseUrl(url)), url));
  }
  await t.step("a path is decoded and written back escaped", () => {
    const parsed = parseUrl("/a b/%C3%BC");
    assert.equal(parsed.path, "/a b/ü");
    assert.equal(formatUrl(parsed), "/a%20b/%C3%BC");
  });
  await t.step("errors read as Go's", () => {
    assert.throws(() => parseUrl("/x%zz"), {
      name: "SyntaxError",
      message: 'parse "/x%zz": invalid URL escape "%zz"',
    });
    assert.throws(() => parseUrl("http://h:port/"), {
      message: 'parse "http://h:port/": invalid port ":port" after host',
    });
    assert.throws(() => parseUrl("a:b/c".replace("a", "1a")), {
      message: 'parse "1a:b/c": first path segment in URL cannot contain colon',
    });
    assert.throws(() => parseUrl("/a\nb"), {
      message: 'parse "/a\\nb": net/url: invalid control character in URL',
    });
  });
});

Deno.test("rewriteProxyUrl() leads the backend's own URLs back through the proxy", async (t) => {
  const cases: [string, string, string][] = [
    ["an absolute path", "/login", `${PREFIX}/login`],
    ["a trailing slash is kept", "/docs/", `${PREFIX}/docs/`],
    ["the root", "/", `${PREFIX}/`],
    ["the query and fragment are kept", "/a?b=1#c", `${PREFIX}/a?b=1#c`],
    ["a URL on the backend's host", "http://10.42.0.5:8080/x", `${PREFIX}/x`],
    [
      "a URL on the host the client asked keeps its scheme and host",
      "https://127.0.0.1:6443/x",
      `https://127.0.0.1:6443${PREFIX}/x`,
    ],
    ["a URL on another host stays", "http://example.com/x", "http://example.com/x"],
    ["a relative reference stays", "next/page", "next/page"],
    ["a URL without a path stays", "http://10.42.0.5:8080", "http://10.42.0.5:8080"],
    ["a path under the prefix already stays", `${PREFIX}/x`, `${PREFIX}/x`],
    ["an opaque URL stays", "mailto:a@b", "mailto:a@b"],
    ["escapes are kept", "/a%20b", `${PREFIX}/a%20b`],
  ];
  for (const [name, input, want] of cases) {
    await t.step(name, () => assert.equal(rewriteProxyUrl(input, CONTEXT), want));
  }
  await t.step("a proxy scheme and host, when given, replace the backend's", () => {
    assert.equal(
      rewriteProxyUrl("http://10.42.0.5:8080/x", { ...CONTEXT, scheme: "https", host: "api:6443" }),
      `https://api:6443${PREFIX}/x`,
    );
  });
  await t.step("a URL that does not parse throws", () => {
    assert.throws(() => rewriteProxyUrl("/%zz", CONTEXT), SyntaxError);
  });
});
