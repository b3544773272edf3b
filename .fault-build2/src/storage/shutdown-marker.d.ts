import type { TailState } from "./level-log-store.js";
export declare function shutdownMarkerPath(dataDir: string): string;
export declare function writeShutdownMarker(dataDir: string, tail: TailState): Promise<void>;
/** The recorded tail, or null when there is no marker (first start, or after a crash). */
export declare function readShutdownMarker(dataDir: string): Promise<number[] | null>;
/** Describe how the loaded tail differs from the marker, or null when it matches. */
export declare function tailMismatch(recorded: readonly number[], loaded: TailState): string | null;
export declare function removeShutdownMarker(dataDir: string): Promise<void>;
