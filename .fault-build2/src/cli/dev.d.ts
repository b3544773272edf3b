export declare function runDevCluster(opts: {
    nodes: string;
    basePort: string;
    dataDir: string;
}): Promise<void>;
