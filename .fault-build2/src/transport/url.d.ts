export declare const DEFAULT_PEER_PORT = 2380;
export interface PeerAddress {
    /** The gRPC target, "host:port" (IPv6 hosts in brackets); DNS names are resolved by grpc-js. */
    readonly target: string;
    readonly host: string;
    readonly port: number;
    /** "https" when the URL asked for TLS, "http" when it asked for plain text, null when silent. */
    readonly scheme: "http" | "https" | null;
}
/** Parses a peer URL or host:port. Throws a TypeError naming the bad input. */
export declare function parsePeerUrl(input: string): PeerAddress;
/** Parses a listen address ("host:port", port 0 allowed, or a URL) into grpc-js's bind form. */
export declare function parseListenAddress(input: string): string;
