export interface ListenAddress {
    host: string;
    port: number;
}
export declare function parseListen(listen: string): ListenAddress;
/** The address as grpc-js binds it ("[::1]:2379" for IPv6). */
export declare function grpcBindAddress({ host, port }: ListenAddress): string;
