export declare function runBench(o: Record<string, string | boolean | undefined>): Promise<void>;
