// Logging with pino: JSON by default, readable on a terminal (pino-pretty) when asked or when
// stdout is a TTY. Nothing is logged per request at the default level.
import pino from "pino";
export function createLogger(opts) {
    const pretty = opts.format === "pretty" || (opts.format === "auto" && process.stdout.isTTY === true);
    const base = { level: opts.level, base: opts.name ? { node: opts.name } : undefined };
    if (!pretty)
        return pino(base);
    return pino({
        ...base,
        transport: {
            target: "pino-pretty",
            options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" },
        },
    });
}
export function silentLogger() {
    return pino({ level: "silent" });
}
//# sourceMappingURL=logger.js.map