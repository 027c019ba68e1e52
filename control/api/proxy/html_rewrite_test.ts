import assert from "node:assert/strict";
import { decodeCharacterReferences, rewriteHtmlUrls, URL_ATTRIBUTES } from "./html_rewrite.ts";

/** Prefixes absolute paths, as the proxy's rewrite does. */
function prefix(url: string): string {
  if (url.includes("%zz")) throw new SyntaxError("bad");
  return url.startsWith("/") ? `/p${url}` : url;
}

Deno.test("rewriteHtmlUrls() rewrites the URL attributes of the tags upstream lists", async (t) => {
  const cases: [string, string, string][] = [
    ["a link", `<a href="/x">x</a>`, `<a href="/p/x">x</a>`],
    ["single quotes", `<img src='/i.png'>`, `<img src="/p/i.png">`],
    ["unquoted, upper case", `<IMG SRC=/i.png ALT=x>`, `<IMG SRC="/p/i.png" ALT=x>`],
    [
      "several attributes",
      `<img longdesc="/d" src="/s" usemap="#m">`,
      `<img longdesc="/p/d" src="/p/s" usemap="#m">`,
    ],
    ["a form", `<form method=post action="/submit">`, `<form method=post action="/p/submit">`],
    [
      "a self-closing link",
      `<link rel="stylesheet" href="/s.css"/>`,
      `<link rel="stylesheet" href="/p/s.css"/>`,
    ],
    [
      "an attribute another tag would rewrite",
      `<div href="/x" src="/y">`,
      `<div href="/x" src="/y">`,
    ],
    ["a relative link stays", `<a href="rel">r</a>`, `<a href="rel">r</a>`],
    [
      "comments pass",
      `<!-- <a href="/x"> --><a href="/y">`,
      `<!-- <a href="/x"> --><a href="/p/y">`,
    ],
    [
      "doctype and end tags pass",
      `<!DOCTYPE html></a><a href=/z>`,
      `<!DOCTYPE html></a><a href="/p/z">`,
    ],
    [
      "script text is raw",
      `<script src="/s.js">var a = '<a href="/x">';</script><a href="/y">`,
      `<script src="/p/s.js">var a = '<a href="/x">';</script><a href="/p/y">`,
    ],
    ["a stray < is text", `1 < 2 <a href="/x">`, `1 < 2 <a href="/p/x">`],
    [
      "references are decoded, and the value escaped again",
      `<a href="/a?x=1&amp;y=2">`,
      `<a href="/p/a?x=1&amp;y=2">`,
    ],
    ["an invalid URL stays", `<a href="/%zz">`, `<a href="/%zz">`],
    ["an unterminated tag", `<a href="/x"`, `<a href="/p/x"`],
  ];
  for (const [name, input, want] of cases) {
    await t.step(name, () => assert.equal(rewriteHtmlUrls(input, prefix), want));
  }
});

Deno.test("URL_ATTRIBUTES holds upstream's tag and attribute set", () => {
  assert.equal(URL_ATTRIBUTES.size, 25);
  assert.deepEqual([...URL_ATTRIBUTES.get("object")!], ["classid", "codebase", "data", "usemap"]);
  assert.deepEqual([...URL_ATTRIBUTES.get("video")!], ["poster", "src"]);
});

Deno.test("decodeCharacterReferences() decodes numeric and the usual named references", () => {
  assert.equal(
    decodeCharacterReferences("a&amp;b&#38;c&#x26;d&quot;&unknown;"),
    'a&b&c&d"&unknown;',
  );
});
