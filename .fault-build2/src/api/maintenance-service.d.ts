import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { type HandlerContext } from "./call.js";
export declare function maintenanceService(context: HandlerContext): UntypedServiceImplementation;
