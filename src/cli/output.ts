// What the client commands print: etcdctl-style tables, error messages without grpc-js's noise,
// and flag parsers that turn a bad value into a usage error (exit code 2).

import { InvalidArgumentError } from "commander";

/** A table as `etcdctl -w table` draws it: a header row, every cell padded, ASCII borders. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const center = (s: string, w: number): string => {
    const left = Math.floor((w - s.length) / 2);
    return " ".repeat(left) + s + " ".repeat(w - s.length - left);
  };
  const line = (cells: readonly string[], pad: (s: string, w: number) => string): string =>
    `| ${cells.map((c, i) => pad(c, widths[i]!)).join(" | ")} |`;
  return [
    rule,
    line(header, center),
    rule,
    ...rows.map((r) => line(r, (s, w) => s.padEnd(w))),
    rule,
    "",
  ].join("\n");
}

/** Bytes as etcdctl shows a database size ("20 kB", "1.2 MB"), decimal units. */
export function humanBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}

/**
 * A gRPC error's text as a user should read it: grpc-js ends "No connection established" with
 * "Resolution note: " even when it has no note; a dangling label is dropped, a real note kept.
 */
export function cleanErrorMessage(message: string): string {
  const m = /^([\s\S]*?)\.?\s*Resolution note:\s*([\s\S]*)$/.exec(message.trim());
  if (m === null) return message.trim();
  const note = m[2]!.trim();
  return note === "" ? m[1]! : `${m[1]} (resolution: ${note})`;
}

/** A commander parser for an integer flag of at least `min`; anything else is a usage error. */
export function intArg(what: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${what} must be an integer of at least ${min}, not "${value}"`);
    }
    return n;
  };
}
