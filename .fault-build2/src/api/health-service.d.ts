import { type UntypedServiceImplementation } from "@grpc/grpc-js";
import { type HandlerContext } from "./call.js";
export declare const SERVED_SERVICE_NAMES: ReadonlySet<string>;
export declare function healthService(context: HandlerContext): UntypedServiceImplementation;
