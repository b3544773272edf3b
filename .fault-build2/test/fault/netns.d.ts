import { type FaultNet, type NetFaults, type NodeAddressing } from "./net.js";
export declare class NamespaceNet implements FaultNet {
    #private;
    readonly kind: "netns";
    readonly canDelay = false;
    readonly nodes: NodeAddressing[];
    private constructor();
    /** Why namespaces cannot be used here, or null when they can. */
    static unavailable(): Promise<string | null>;
    static start(names: readonly string[]): Promise<NamespaceNet>;
    apply(f: NetFaults): Promise<void>;
    close(): Promise<void>;
    closeSync(): void;
    describe(): string;
}
