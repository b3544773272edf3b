// Free TCP ports on 127.0.0.1 for test processes (the cluster tests and the fault harness).

import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Ports handed out by this process: never twice, even once released. */
const handedOut = new Set<number>();

/**
 * Ports are drawn below the kernel's ephemeral range. A port the OS picks (listen on 0) comes
 * from that range, and between its release and the node's listen, any outgoing connection on the
 * machine (the other nodes dialling their peers) may take it as its source port. That happened
 * in CI: a node died with EADDRINUSE on its peer port.
 */
function portRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
  } catch {
    // not Linux: assume the IANA default below
  }
  const high = Math.min(ephemeralLow - 1, 49151);
  return high - 10_000 >= 1024 ? [high - 10_000, high] : [0, 0];
}
const PORTS = portRange();

async function canListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

/** A free TCP port on 127.0.0.1 (released before use; see portRange). */
export async function freePort(): Promise<number> {
  const [low, high] = PORTS;
  for (let attempt = 0; low > 0 && attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  // Fallback: let the OS pick (ephemeral range).
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      handedOut.add(port);
      srv.close(() => res(port));
    });
  });
}
