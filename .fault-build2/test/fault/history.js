// The recorded history of a fault run: every client operation with its invoke and complete times
// (monotonic milliseconds since the run began) and what came back.
//
// status:
//   ok    the operation completed and its result is known.
//   fail  a write that surely did not take effect (refused before it was proposed, or never sent);
//         a read that failed is not recorded at all (it has no effect to account for).
//   info  a write whose outcome is unknown (timeout, connection lost, leader changed): it may take
//         effect at any time after its invocation, or never.
//
// Every put and CAS writes a value no other operation writes, so a value read names the write
// that produced it.
import { performance } from "node:perf_hooks";
/** The value an operation writes, if it writes one. */
export function writtenValue(input) {
    return input.f === "put" || input.f === "cas" ? input.value : null;
}
export function isWrite(input) {
    return input.f !== "get";
}
export class HistoryRecorder {
    ops = [];
    #origin = performance.now();
    #nextId = 0;
    now() {
        return performance.now() - this.#origin;
    }
    invoke(client, key, input, node) {
        const op = {
            id: this.#nextId++,
            client,
            key,
            input,
            status: "info",
            output: null,
            invokeMs: this.now(),
            completeMs: Number.POSITIVE_INFINITY,
            node,
        };
        this.ops.push(op);
        return op;
    }
    ok(op, output) {
        op.completeMs = this.now();
        op.status = "ok";
        op.output = output;
    }
    /** A failed read is dropped; a failed write is `fail` when surely not applied, else `info`. */
    failed(op, error, surelyNotApplied) {
        op.completeMs = this.now();
        op.error = error;
        if (!isWrite(op.input)) {
            const i = this.ops.lastIndexOf(op);
            if (i >= 0)
                this.ops.splice(i, 1);
            return;
        }
        op.status = surelyNotApplied ? "fail" : "info";
    }
}
export function describeObserved(o) {
    return o.value === null ? "absent" : `${JSON.stringify(o.value)}@${o.rev}`;
}
/** One line per operation, for reports. */
export function describeOp(op) {
    const t = `[${op.invokeMs.toFixed(1)}, ${Number.isFinite(op.completeMs) ? op.completeMs.toFixed(1) : "∞"}] ms`;
    const who = `#${op.id} c${op.client}@${op.node}`;
    const i = op.input;
    let call;
    switch (i.f) {
        case "get":
            call = `get(${op.key})`;
            break;
        case "put":
            call = `put(${op.key}, ${JSON.stringify(i.value)})`;
            break;
        case "delete":
            call = `delete(${op.key})`;
            break;
        case "cas":
            call = `cas(${op.key}, ${i.cmp === "value" ? `value=${JSON.stringify(i.expect)}` : `mod_rev=${i.expect}`} → ${JSON.stringify(i.value)})`;
            break;
    }
    let result;
    if (op.status === "fail")
        result = `FAILED (not applied): ${op.error ?? ""}`;
    else if (op.status === "info")
        result = `INDETERMINATE: ${op.error ?? ""}`;
    else {
        const o = op.output;
        switch (o.f) {
            case "get":
                result = describeObserved(o.obs);
                break;
            case "put":
                result = `ok rev ${o.rev}, prev ${describeObserved(o.prev)}`;
                break;
            case "delete":
                result = `ok rev ${o.rev}, deleted ${o.deleted}, prev ${describeObserved(o.prev)}`;
                break;
            case "cas":
                result = o.succeeded
                    ? `succeeded rev ${o.rev}`
                    : `failed, current ${o.cur === null ? "?" : describeObserved(o.cur)}`;
                break;
        }
    }
    return `${who} ${call} → ${result} ${t}`;
}
//# sourceMappingURL=history.js.map