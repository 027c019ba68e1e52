import assert from "node:assert/strict";
import { type HeaderField, HpackDecoder, HpackEncoder, HpackError } from "./_hpack.ts";

function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g) ?? [], (d) => parseInt(d, 16));
}

Deno.test("HpackDecoder decodes RFC 7541's single representations (C.2)", async (t) => {
  const cases: { name: string; block: string; field: HeaderField; table: HeaderField[] }[] = [
    {
      name: "literal with incremental indexing",
      block: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
      field: ["custom-key", "custom-header"],
      table: [["custom-key", "custom-header"]],
    },
    {
      name: "literal without indexing",
      block: "040c 2f73 616d 706c 652f 7061 7468",
      field: [":path", "/sample/path"],
      table: [],
    },
    {
      name: "literal never indexed",
      block: "1008 7061 7373 776f 7264 0673 6563 7265 74",
      field: ["password", "secret"],
      table: [],
    },
    { name: "indexed", block: "82", field: [":method", "GET"], table: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const decoder = new HpackDecoder();
      assert.deepEqual(decoder.decode(hex(c.block)), [c.field]);
      assert.deepEqual(decoder.table, c.table);
    });
  }
});

const REQUESTS: HeaderField[][] = [
  [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];

const DATE_1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const URL = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSES: HeaderField[][] = [
  [[":status", "302"], ["cache-control", "private"], ["date", DATE_1], ["location", URL]],
  [[":status", "307"], ["cache-control", "private"], ["date", DATE_1], ["location", URL]],
  [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", DATE_2],
    ["location", URL],
    ["content-encoding", "gzip"],
    ["set-cookie", COOKIE],
  ],
];

Deno.test("HpackDecoder keeps the dynamic table across blocks as RFC 7541 C.3–C.6 do", async (t) => {
  const cases: {
    name: string;
    limit: number;
    blocks: string[];
    want: HeaderField[][];
    tableSizes: number[];
    lastTable: HeaderField[];
  }[] = [
    {
      name: "C.3 requests without Huffman coding",
      limit: 4096,
      blocks: [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
      ],
      want: REQUESTS,
      tableSizes: [57, 110, 164],
      lastTable: [
        ["custom-key", "custom-value"],
        ["cache-control", "no-cache"],
        [":authority", "www.example.com"],
      ],
    },
    {
      name: "C.4 requests with Huffman coding",
      limit: 4096,
      blocks: [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      ],
      want: REQUESTS,
      tableSizes: [57, 110, 164],
      lastTable: [
        ["custom-key", "custom-value"],
        ["cache-control", "no-cache"],
        [":authority", "www.example.com"],
      ],
    },
    {
      name: "C.5 responses without Huffman coding, evicting from a 256-octet table",
      limit: 256,
      blocks: [
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
      ],
      want: RESPONSES,
      tableSizes: [222, 222, 215],
      lastTable: [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE_2]],
    },
    {
      name: "C.6 responses with Huffman coding, evicting from a 256-octet table",
      limit: 256,
      blocks: [
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      ],
      want: RESPONSES,
      tableSizes: [222, 222, 215],
      lastTable: [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE_2]],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const decoder = new HpackDecoder(c.limit);
      c.blocks.forEach((block, i) => {
        assert.deepEqual(decoder.decode(hex(block)), c.want[i], `block ${i + 1}`);
        assert.equal(decoder.tableSize, c.tableSizes[i], `table size after block ${i + 1}`);
      });
      assert.deepEqual(decoder.table, c.lastTable);
    });
  }
});

Deno.test("HpackDecoder applies table size updates at the start of a block", () => {
  const decoder = new HpackDecoder();
  decoder.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
  assert.equal(decoder.table.length, 1);
  // 0x20: size 0 empties the table; 0x3f 0xe1 0x1f: back to 4096.
  assert.deepEqual(decoder.decode(hex("20 3fe1 1f 82")), [[":method", "GET"]]);
  assert.equal(decoder.tableSize, 0);
  assert.deepEqual(decoder.table, []);
});

Deno.test("HpackDecoder refuses malformed blocks with an HpackError", async (t) => {
  const cases: [name: string, block: string, message: RegExp][] = [
    ["index 0", "80", /index 0/],
    ["an index past the dynamic table", "be", /no table entry 62/],
    ["a string past the block's end", "0005 6162", /runs past its end/],
    ["a block ending inside an integer", "ff", /ends inside a representation/],
    ["an integer too large", "ff ffff ffff ff0f", /integer too large/],
    ["a size update above the limit", "3fe2 1f", /exceeds the limit 4096/],
    ["a size update after a field", "82 20", /table size update after a field/],
    ["a bad Huffman string", "0081 ff", /padding longer than 7 bits|contains EOS/],
  ];
  for (const [name, block, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => new HpackDecoder().decode(hex(block)), (err) => {
        assert.ok(err instanceof HpackError);
        assert.ok(err instanceof SyntaxError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("HpackEncoder writes blocks any decoder reads back, indexing nothing", async (t) => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const cases: { name: string; fields: HeaderField[] }[] = [
    {
      name: "a gRPC request",
      fields: [
        [":method", "POST"],
        [":scheme", "http"],
        [":path", "/runtime.v1.RuntimeService/Version"],
        [":authority", "localhost"],
        ["te", "trailers"],
        ["content-type", "application/grpc"],
        ["grpc-timeout", "120000m"],
        ["user-agent", "skiff/0.1.0"],
      ],
    },
    { name: "an empty value and a non-ASCII one", fields: [["x-empty", ""], ["x-text", "é ü"]] },
    { name: "a long value", fields: [["x-long", "a".repeat(300)]] },
  ];
  let first = true;
  for (const c of cases) {
    await t.step(c.name, () => {
      const block = encoder.encode(c.fields);
      // The first block starts with a table size update to 0.
      if (first) assert.equal(block[0], 0x20);
      first = false;
      assert.deepEqual(decoder.decode(block), c.fields);
      assert.equal(decoder.tableSize, 0);
    });
  }
  // Fully indexed static fields take one octet each.
  assert.deepEqual(encoder.encode([[":method", "POST"], [":scheme", "http"]]), hex("83 86"));
});
