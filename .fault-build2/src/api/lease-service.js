// etcdserverpb.Lease over a LeaseApi (the node implements it: src/node/leases.ts). Grant and
// Revoke go through Raft; KeepAlive and TimeToLive are answered by the leader, which alone keeps
// the expiry clock (a follower forwards them); Leases lists the replicated table.
import { status } from "@grpc/grpc-js";
import { unary } from "./call.js";
const SERVICE = "etcdserverpb.Lease";
/** gRPC metadata naming a keep-alive or TimeToLive forwarded by a follower (not forwarded again). */
export const FORWARDED_METADATA = "raftkv-forwarded";
/** Keep-alive requests of one stream waiting to be answered; past it the stream stops reading. */
const KEEPALIVE_QUEUE_MAX = 64;
export function leaseService(context, api) {
    const timeToLive = unary(context, SERVICE, "LeaseTimeToLive", async (request) => {
        const found = await api.timeToLive(request.ID, request.keys, request.forwarded === true);
        // etcd answers an unknown lease with TTL -1, not an error.
        if (found === null)
            return { header: context.header(), ID: request.ID, TTL: -1, grantedTTL: 0, keys: [] };
        return { header: context.header(), ID: request.ID, ...found };
    });
    return {
        LeaseGrant: unary(context, SERVICE, "LeaseGrant", async (request) => {
            const granted = await api.grant(request.TTL, request.ID);
            return { header: context.header(granted.revision), ID: granted.ID, TTL: granted.TTL, error: "" };
        }),
        LeaseRevoke: unary(context, SERVICE, "LeaseRevoke", async (request) => {
            const revoked = await api.revoke(request.ID);
            return { header: context.header(revoked.revision) };
        }),
        LeaseTimeToLive: (call, callback) => {
            call.request.forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
            timeToLive(call, callback);
        },
        LeaseLeases: unary(context, SERVICE, "LeaseLeases", () => ({ header: context.header(), leases: api.leases().map((ID) => ({ ID })) })),
        LeaseKeepAlive: keepAliveHandler(context, api),
    };
}
/**
 * One response per request, in request order (as etcd's loop: receive, renew, send). A renewal
 * that fails for another reason than an unknown lease ends the stream with that error, as etcd.
 */
function keepAliveHandler(context, api) {
    const metrics = context.bind("bidi_stream", SERVICE, "LeaseKeepAlive");
    return (call) => {
        const startMs = performance.now();
        const forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
        const queue = [];
        let working = false;
        let finished = false;
        let ended = false;
        const finish = (code, error) => {
            if (finished)
                return;
            finished = true;
            metrics.done(startMs, code);
            if (error !== undefined)
                call.emit("error", error);
        };
        const work = async () => {
            working = true;
            while (queue.length > 0 && !finished) {
                const id = queue.shift();
                if (queue.length < KEEPALIVE_QUEUE_MAX / 2)
                    call.resume();
                try {
                    const ttl = await api.keepAlive(id, forwarded);
                    if (!finished)
                        call.write({ header: context.header(), ID: id, TTL: ttl });
                }
                catch (err) {
                    const mapped = context.statusFor(err, "LeaseKeepAlive");
                    finish(mapped.code, mapped);
                }
            }
            working = false;
            if (ended)
                endStream();
        };
        const endStream = () => {
            if (finished)
                return;
            finish(status.OK);
            call.end();
        };
        call.on("data", (request) => {
            if (finished)
                return;
            queue.push(request.ID);
            if (queue.length >= KEEPALIVE_QUEUE_MAX)
                call.pause();
            if (!working)
                void work();
        });
        // The client is done sending: answer what it sent, then end the stream.
        call.on("end", () => {
            ended = true;
            if (!working)
                endStream();
        });
        call.on("cancelled", () => finish(status.CANCELLED));
        call.on("error", () => finish(status.CANCELLED));
    };
}
//# sourceMappingURL=lease-service.js.map