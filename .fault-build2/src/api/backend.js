// What the client API needs from a node. The node layer implements it; the API knows nothing of
// Raft, storage or peers, and tests drive the API with a fake over a real KvStateMachine.
export {};
//# sourceMappingURL=backend.js.map