import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { type KvLimits } from "../kv/validate.js";
import { type HandlerContext } from "./call.js";
export type KvServiceLimits = KvLimits;
/** A decoded write request and the protobuf bytes it was decoded from. */
export declare class ReceivedRequest<Request> {
    readonly request: Request;
    readonly bytes: Buffer;
    constructor(request: Request, bytes: Buffer);
}
/** What the write methods' deserializer yields for a request over maxRequestBytes. */
export declare const TOO_LARGE_REQUEST: unique symbol;
/** The KV service definition kvService expects: write methods decode to ReceivedRequest. */
export declare function kvServiceDefinition(definition: ServiceDefinition, maxRequestBytes: number): ServiceDefinition;
export declare function kvService(context: HandlerContext, limits: KvLimits): UntypedServiceImplementation;
