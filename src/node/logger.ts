// Logging with pino: JSON by default, readable on a terminal (pino-pretty) when asked or when
// stdout is a TTY. Nothing is logged per request at the default level.

import pino from "pino";
import { idHex } from "../raft/index.js";

export type Logger = pino.Logger;
export type LogFormat = "json" | "pretty" | "auto";

/** Log fields that hold a member or cluster ID. */
export const ID_FIELDS = [
  "to",
  "from",
  "leader",
  "leaderId",
  "member",
  "memberId",
  "cluster",
  "clusterId",
  "peer",
  "stale",
] as const;

/** A numeric ID is written as etcd writes it (16 hex digits); anything else is left as it is. */
function idField(value: unknown): unknown {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? idHex(value) : value;
}

/** pino serializers: whoever logs `{ to: m.to }` or `{ leader: id }` gets the one ID format. */
export const ID_SERIALIZERS: Record<string, (value: unknown) => unknown> = Object.fromEntries(
  ID_FIELDS.map((f) => [f, idField]),
);

export function createLogger(opts: { level: string; format: LogFormat; name?: string }): Logger {
  const pretty = opts.format === "pretty" || (opts.format === "auto" && process.stdout.isTTY === true);
  const base = {
    level: opts.level,
    base: opts.name ? { node: opts.name } : undefined,
    serializers: ID_SERIALIZERS,
  };
  if (!pretty) return pino(base);
  return pino({
    ...base,
    transport: {
      target: "pino-pretty",
      options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" },
    },
  });
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
