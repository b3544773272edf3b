import { type FaultNet, type NetFaults, type NodeAddressing } from "./net.js";
export interface ProxyNetPorts {
    readonly client: number;
    readonly peer: number;
    readonly metrics: number;
}
export declare class LoopbackProxyNet implements FaultNet {
    #private;
    readonly kind: "proxy";
    readonly canDelay = true;
    readonly nodes: NodeAddressing[];
    private constructor();
    /** Opens a listener for every directed link between `names` (ports: each node's real ones). */
    static start(names: readonly string[], ports: readonly ProxyNetPorts[]): Promise<LoopbackProxyNet>;
    apply(f: NetFaults): Promise<void>;
    close(): Promise<void>;
    closeSync(): void;
    describe(): string;
}
