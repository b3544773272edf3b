import pino from "pino";
export type Logger = pino.Logger;
export type LogFormat = "json" | "pretty" | "auto";
export declare function createLogger(opts: {
    level: string;
    format: LogFormat;
    name?: string;
}): Logger;
export declare function silentLogger(): Logger;
