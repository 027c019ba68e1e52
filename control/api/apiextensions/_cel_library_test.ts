import assert from "node:assert/strict";
import { compileSchemaRules, evaluateRules } from "./cel_rules.ts";

/** Evaluates `expr` as a rule on an empty object: [] when true, else the error texts. */
function run(expr: string): string[] {
  const { tree, errors } = compileSchemaRules({
    type: "object",
    "x-kubernetes-validations": [{ rule: expr }],
  });
  assert.deepEqual(errors.map(String), []);
  return evaluateRules(tree!, { value: {} }).map((e) => e.detail);
}

Deno.test("the url library behaves as upstream's examples", async (t) => {
  const cases = [
    "url('https://user:pass@example.com:80/path?query=val#fragment').getScheme() == 'https'",
    "url('/absolute-path').getScheme() == ''",
    "isURL('https://user:pass@example.com:80/path?query=val#fragment')",
    "isURL('/absolute-path')",
    "!isURL('https://a:b:c/')",
    "!isURL('../relative-path')",
    "url('https://example.com:80/').getHost() == 'example.com:80'",
    "url('https://[::1]:80/').getHost() == '[::1]:80'",
    "url('https://[::1]:80/').getHostname() == '::1'",
    "url('/path').getHostname() == ''",
    "url('https://example.com:80/').getPort() == '80'",
    "url('https://example.com/').getPort() == ''",
    "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
    "url('https://example.com').getEscapedPath() == ''",
    "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
    "url('https://example.com/path?').getQuery() == {}",
  ];
  for (const expr of cases) await t.step(expr, () => assert.deepEqual(run(expr), []));
});

Deno.test("the ip and cidr libraries behave as upstream's examples", async (t) => {
  const cases = [
    "isIP('127.0.0.1') && isIP('::1') && !isIP('127.0.0.256') && !isIP(':::1')",
    "!isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0') && !isIP('127.0.0.01')",
    "ip.isCanonical('127.0.0.1') && ip.isCanonical('2001:db8::abcd')",
    "!ip.isCanonical('2001:DB8::ABCD') && !ip.isCanonical('2001:db8::0:0:0:abcd')",
    "ip('127.0.0.1').family() == 4 && ip('::1').family() == 6",
    "ip('0.0.0.0').isUnspecified() && !ip('127.0.0.1').isUnspecified() && ip('::').isUnspecified()",
    "ip('127.0.0.1').isLoopback() && !ip('192.168.0.1').isLoopback() && ip('::1').isLoopback()",
    "ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast()",
    "ip('ff02::1').isLinkLocalMulticast() && !ip('fd00::1').isLinkLocalMulticast()",
    "ip('169.254.169.254').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast()",
    "ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()",
    "ip('2001:db8::abcd').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()",
    "string(ip('2001:DB8::1')) == '2001:db8::1' && ip('::1') == ip('0:0::1')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1')) && !cidr('192.168.0.0/24').containsIP('192.168.1.1')",
    "cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))",
    "!cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')",
    "cidr('192.168.0.1/24').ip() == ip('192.168.0.1') && cidr('192.168.0.1/24').ip().family() == 4",
    "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
    "string(cidr('192.168.0.1/24').masked()) == '192.168.0.0/24'",
    "cidr('192.168.0.0/16').prefixLength() == 16 && cidr('::1/128').prefixLength() == 128",
    "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && !isCIDR('::ffff:1.2.3.4/120')",
  ];
  for (const expr of cases) await t.step(expr, () => assert.deepEqual(run(expr), []));
});

Deno.test("the format library validates with upstream's names and messages", async (t) => {
  const cases = [
    "!format.dns1123Label().validate('my-label-name').hasValue()",
    "format.dns1123Label().validate('My_Label').hasValue()",
    "!format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()",
    "!format.dns1035Label().validate('my-label-name').hasValue()",
    "format.dns1035Label().validate('1abc').hasValue()",
    "!format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()",
    "!format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()",
    "!format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-').hasValue()",
    "!format.dns1035LabelPrefix().validate('my-label-prefix-').hasValue()",
    "!format.labelValue().validate('a_b.c').hasValue()",
    "!format.uri().validate('http://example.com').hasValue()",
    "format.uri().validate('example').value() == ['parse \"example\": invalid URI for request']",
    "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
    "format.uuid().validate('x').value() == ['does not match the UUID format']",
    "!format.byte().validate('aGVsbG8=').hasValue() && format.byte().validate('!').value() == ['invalid base64']",
    "!format.date().validate('2021-01-01').hasValue() && format.date().validate('2021-13-01').value() == ['invalid date']",
    "!format.datetime().validate('2021-01-01T00:00:00Z').hasValue()",
    "format.datetime().validate('2021-01-01').value() == ['invalid datetime']",
    "format.named('dns1123Label').hasValue() && !format.named('nope').hasValue()",
    "format.named('dns1123Label').value().validate('ok').hasValue() == false",
    "format.dns1123Label().validate('A').value()[0].startsWith('a lowercase RFC 1123 label')",
  ];
  for (const expr of cases) await t.step(expr, () => assert.deepEqual(run(expr), []));
});

Deno.test("the semver, sets and quantity libraries behave as upstream's examples", async (t) => {
  const cases = [
    "isSemver('1.0.0') && !isSemver('hello') && !isSemver('v1.0') && isSemver('v1.0', true)",
    "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
    "semver('1.2.3').compareTo(semver('1.2.3')) == 0 && semver('1.2.3').compareTo(semver('2.0.0')) == -1",
    "semver('1.2.3').compareTo(semver('0.1.2')) == 1",
    "semver('1.2.3').isGreaterThan(semver('1.2.2')) && semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))",
    "semver('v1.0.0', true) == semver('1.0.0') && semver('01.01.01', true) == semver('1.1.1')",
    "sets.contains([], []) && sets.contains([1, 2, 3, 4], [2, 3]) && !sets.contains([1], [2])",
    "sets.equivalent([1, 2, 3], [3, 2, 1]) && !sets.equivalent([1], [1, 2])",
    "sets.intersects([1, 2], [2, 5]) && !sets.intersects([1], [])",
    "quantity('1Gi').add(1) == quantity('1073741825') && quantity('5').sub(2) == quantity('3')",
    "quantity('500m') == quantity('0.5') && quantity('1') != quantity('2')",
    "isQuantity('1.5Gi') && !isQuantity('1.5.3')",
  ];
  for (const expr of cases) await t.step(expr, () => assert.deepEqual(run(expr), []));
});

Deno.test("conversions that fail report upstream's texts", async (t) => {
  const cases: [string, string][] = [
    [
      "url('../x') == url('/x')",
      `URL parse error during conversion from string: parse "../x": invalid URI for request evaluating rule: url('../x') == url('/x')`,
    ],
    [
      "ip('::ffff:1.2.3.4').family() == 6",
      `IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed evaluating rule: ip('::ffff:1.2.3.4').family() == 6`,
    ],
    [
      "ip('1.2.3.256').family() == 4",
      `IP Address "1.2.3.256" parse error during conversion from string: ParseAddr("1.2.3.256"): IPv4 field has value >255 evaluating rule: ip('1.2.3.256').family() == 4`,
    ],
    [
      "cidr('1.2.3.4').prefixLength() == 1",
      `network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("1.2.3.4"): no '/' evaluating rule: cidr('1.2.3.4').prefixLength() == 1`,
    ],
    [
      "semver('Three').major() == 3",
      "No Major.Minor.Patch elements found evaluating rule: semver('Three').major() == 3",
    ],
    ["[1, 2][5] == 1", "index '5' out of range in list size '2' evaluating rule: [1, 2][5] == 1"],
    ["1 / 0 == 1", "division by zero evaluating rule: 1 / 0 == 1"],
  ];
  for (const [expr, want] of cases) await t.step(expr, () => assert.deepEqual(run(expr), [want]));
});
