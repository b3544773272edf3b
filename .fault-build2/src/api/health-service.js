// grpc.health.v1.Health: SERVING while the node has a leader and is not stopping. The empty
// service name means the server as a whole; the etcd service names are answered the same way.
import { status } from "@grpc/grpc-js";
import { unary } from "./call.js";
const SERVICE = "grpc.health.v1.Health";
const WATCH_POLL_MS = 1000;
export const SERVED_SERVICE_NAMES = new Set([
    "",
    "etcdserverpb.KV",
    "etcdserverpb.Cluster",
    "etcdserverpb.Maintenance",
]);
const UNKNOWN_SERVICE = { code: status.NOT_FOUND, details: "unknown service" };
export function healthService(context) {
    const current = () => (context.backend.ready() ? "SERVING" : "NOT_SERVING");
    const watchMetrics = context.bind("server_stream", SERVICE, "Watch");
    return {
        Check: unary(context, SERVICE, "Check", (request) => {
            if (!SERVED_SERVICE_NAMES.has(request.service))
                throw UNKNOWN_SERVICE;
            return { status: current() };
        }),
        // Sends the status now and again whenever it changes (polled: the backend has no events).
        Watch: (call) => {
            const startMs = performance.now();
            const known = SERVED_SERVICE_NAMES.has(call.request.service);
            let last = known ? current() : "SERVICE_UNKNOWN";
            call.write({ status: last });
            if (!known)
                return;
            const timer = setInterval(() => {
                const now = current();
                if (now === last)
                    return;
                last = now;
                call.write({ status: now });
            }, WATCH_POLL_MS);
            timer.unref();
            let stopped = false;
            const stop = () => {
                if (stopped)
                    return;
                stopped = true;
                clearInterval(timer);
                watchMetrics.done(startMs, status.CANCELLED);
            };
            call.once("cancelled", stop);
            call.once("close", stop);
            call.once("error", stop);
        },
    };
}
//# sourceMappingURL=health-service.js.map