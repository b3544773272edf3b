// The node's HTTP endpoint for operators and orchestrators:
//   /metrics  Prometheus text exposition of the registry (request counts and latencies, ...)
//   /healthz  200 {"health":"true"} when the node has a leader and is not stopping, else 503 with
//             the reason, as etcd's /health answers
//   /readyz   the same condition, for readiness probes (send traffic only to a node with a leader)
//   /livez    200 while the process serves HTTP: for liveness probes, which must not restart
//             members just because the cluster lost quorum
import { createServer } from "node:http";
import { parseListen } from "./listen.js";
/** Why the node is not ready, or undefined when it is. */
export function notReadyReason(backend) {
    if (backend.ready())
        return undefined;
    const status = backend.status();
    if (status.errors.length > 0)
        return status.errors.join("; ");
    return status.leader === 0 ? "no leader" : "not ready";
}
function reply(response, code, body, contentType) {
    response.writeHead(code, { "content-type": contentType, "cache-control": "no-store" });
    response.end(body);
}
function health(backend, response) {
    const reason = notReadyReason(backend);
    if (reason === undefined) {
        reply(response, 200, '{"health":"true","reason":""}\n', "application/json");
    }
    else {
        reply(response, 503, `${JSON.stringify({ health: "false", reason })}\n`, "application/json");
    }
}
async function metrics(registry, response) {
    const text = await registry.metrics();
    reply(response, 200, text, registry.contentType);
}
export function startHttpServer(options) {
    const { backend, registry, logger } = options;
    const handle = (request, response) => {
        if (request.method !== "GET" && request.method !== "HEAD") {
            reply(response, 405, "method not allowed\n", "text/plain");
            return;
        }
        const path = (request.url ?? "/").split("?", 1)[0];
        switch (path) {
            case "/metrics":
                metrics(registry, response).catch((error) => {
                    logger?.error({ err: error }, "collecting metrics failed");
                    reply(response, 500, "collecting metrics failed\n", "text/plain");
                });
                return;
            case "/healthz":
            case "/health":
            case "/readyz":
                health(backend, response);
                return;
            case "/livez":
                reply(response, 200, "ok\n", "text/plain");
                return;
            default:
                reply(response, 404, "not found\n", "text/plain");
        }
    };
    const server = createServer(handle);
    const { host, port } = parseListen(options.listen);
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve({
                port: server.address().port,
                close: () => new Promise((done) => {
                    server.close(() => done());
                    server.closeAllConnections();
                }),
            });
        });
    });
}
//# sourceMappingURL=http.js.map