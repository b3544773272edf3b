// `raftkv bench`: flags → bench/load.ts. On a terminal a live line shows progress; the first
// error's text is printed; the exit code is 1 when every request failed.

import { type BenchOptions, type BenchProgress, bench, formatResult } from "../../bench/load.js";
import { positiveInt } from "../node/config.js";
import { cleanErrorMessage } from "./output.js";

/** Redraws one status line on stderr (a terminal) until stopped. */
function liveLine(progress: BenchProgress, totalOrSeconds: string): () => void {
  const started = performance.now();
  const draw = (): void => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round((progress.done - progress.errors) / seconds) : 0;
    process.stderr.write(
      `\r\x1b[K${progress.done} requests${totalOrSeconds}  ${rate} req/s  ` +
        `${progress.errors} errors  ${seconds.toFixed(1)} s`,
    );
  };
  const timer = setInterval(draw, 250);
  draw();
  return () => {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  };
}

export async function runBench(o: Record<string, string | boolean | undefined>): Promise<void> {
  const opts: BenchOptions = {
    endpoints: String(o.endpoints)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    op: o.op as BenchOptions["op"],
    clients: positiveInt(String(o.clients), "--clients"),
    conns: positiveInt(String(o.conns), "--conns"),
    total: positiveInt(String(o.total), "--total"),
    durationS: o.duration ? positiveInt(String(o.duration), "--duration") : null,
    keySize: positiveInt(String(o.keySize), "--key-size"),
    valSize: positiveInt(String(o.valSize), "--val-size"),
    keySpace: positiveInt(String(o.keySpace), "--key-space"),
    consistency: o.consistency === "s" ? "s" : "l",
    progress: { done: 0, errors: 0 },
  };
  const stop =
    process.stderr.isTTY === true
      ? liveLine(opts.progress!, opts.durationS === null ? ` of ${opts.total}` : ` in ${opts.durationS} s`)
      : () => {};
  let result: Awaited<ReturnType<typeof bench>>;
  try {
    result = await bench(opts);
  } finally {
    stop();
  }
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
  if (result.firstError !== null) {
    process.stderr.write(`first error: ${cleanErrorMessage(result.firstError)}\n`);
  }
  if (result.requests > 0 && result.errors === result.requests) {
    process.stderr.write("raftkv bench: every request failed\n");
    process.exitCode = 1;
  }
}
