import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Member } from "./backend.js";
import { type HandlerContext } from "./call.js";
import type { WireMember } from "./wire.js";
export declare function toWireMember(member: Member): WireMember;
export declare function clusterService(context: HandlerContext): UntypedServiceImplementation;
