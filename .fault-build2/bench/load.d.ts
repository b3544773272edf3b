export interface BenchOptions {
    endpoints: string[];
    op: "put" | "range" | "txn";
    clients: number;
    conns: number;
    total: number;
    durationS: number | null;
    keySize: number;
    valSize: number;
    keySpace: number;
    consistency: "l" | "s";
}
export interface BenchResult {
    op: string;
    clients: number;
    conns: number;
    requests: number;
    errors: number;
    seconds: number;
    throughput: number;
    latencyMs: {
        p50: number;
        p90: number;
        p99: number;
        p999: number;
        max: number;
        mean: number;
    };
}
export declare function bench(o: BenchOptions): Promise<BenchResult>;
export declare function formatResult(r: BenchResult): string;
