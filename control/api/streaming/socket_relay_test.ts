import assert from "node:assert/strict";
import net from "node:net";
import { relaySockets } from "./socket_relay.ts";

/** A connected pair of TCP sockets (client side, server side). */
async function socketPair(): Promise<[net.Socket, net.Socket, () => Promise<void>]> {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((s) => accepted.resolve(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const client = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  return [client, await accepted.promise, () => new Promise((r) => server.close(() => r()))];
}

function collect(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (c: Uint8Array) => text += new TextDecoder().decode(c));
    socket.once("close", () => resolve(text));
  });
}

Deno.test("relaySockets() relays both ways, buffered bytes first, and ends together", async () => {
  // user <-> [a  relay  b] <-> kubelet
  const [user, a, closeA] = await socketPair();
  const [b, kubelet, closeB] = await socketPair();
  const toKubelet = collect(kubelet);
  const toUser = collect(user);
  const relayed = relaySockets([a, b], {
    fromA: new TextEncoder().encode("early-"),
    fromB: new TextEncoder().encode("head-"),
  });
  user.write("from user ");
  kubelet.write("x".repeat(300_000));
  await new Promise((r) => setTimeout(r, 50));
  user.write("again");
  await new Promise((r) => setTimeout(r, 50));
  kubelet.end();
  assert.equal(await toUser, "head-" + "x".repeat(300_000));
  user.end();
  assert.equal(await toKubelet, "early-from user again");
  await relayed;
  await Promise.all([closeA(), closeB()]);
});

Deno.test("relaySockets() closes one side when the other is destroyed", async () => {
  const [user, a, closeA] = await socketPair();
  const [b, kubelet, closeB] = await socketPair();
  const userClosed = new Promise((resolve) => user.once("close", resolve));
  kubelet.resume();
  const relayed = relaySockets([a, b]);
  kubelet.destroy();
  await userClosed;
  await relayed;
  await Promise.all([closeA(), closeB()]);
});
