/** A member's ID: from the cluster token and its name, so a restarted pod keeps its ID. */
export declare function memberIdOf(clusterToken: string, name: string): number;
/** The cluster's ID: from the token and the initial members' names. */
export declare function clusterIdOf(clusterToken: string, initialNames: readonly string[]): number;
export declare function hex(id: number): string;
