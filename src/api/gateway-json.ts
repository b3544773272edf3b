// proto3 JSON mapping for the HTTP/JSON gateway, as etcd's grpc-gateway marshals: field names as
// written in the .proto (snake_case, "OrigName"), int64/uint64 as decimal strings, bytes as
// base64, enums by name, zero values and empty lists omitted. Requests accept either spelling of
// a field name (proto name or lowerCamelCase JSON name), numbers or strings for 64-bit integers,
// enum names or numbers; unknown fields are ignored (as etcd's gateway discards them).

import { join } from "node:path";
import protobuf from "protobufjs";
import { ETCD_PROTO_FILES, PROTO_DIR } from "../kv/proto.js";

export class JsonMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonMappingError";
  }
}

let cachedRoot: protobuf.Root | undefined;

/** The etcd API with the field names of the .proto files (loaded once). */
export function gatewayRoot(): protobuf.Root {
  if (cachedRoot === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(PROTO_DIR, target));
    root.loadSync([...ETCD_PROTO_FILES], { keepCase: true });
    root.resolveAll();
    cachedRoot = root;
  }
  return cachedRoot;
}

const INTEGER = /^-?\d+$/;
const LONG_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INT_TYPES = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32"]);

function fieldByJsonName(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const field = type.fields[key];
  if (field !== undefined) return field;
  for (const candidate of type.fieldsArray) {
    if (candidate.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) === key) return candidate;
  }
  return undefined;
}

function checkScalar(field: protobuf.Field, value: unknown, path: string): unknown {
  const bad = (): never => {
    throw new JsonMappingError(`${path}: ${JSON.stringify(value)} is not a valid ${field.type}`);
  };
  if (value === null) return undefined;
  if (field.resolvedType instanceof protobuf.Enum) {
    if (typeof value === "string" && field.resolvedType.values[value] === undefined) bad();
    if (typeof value !== "string" && !Number.isInteger(value)) bad();
    return value;
  }
  if (LONG_TYPES.has(field.type) || INT_TYPES.has(field.type)) {
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string" || !INTEGER.test(text)) bad();
    const n = Number(text);
    if (!Number.isSafeInteger(n)) {
      throw new JsonMappingError(`${path}: ${text} is beyond what raftkv accepts (2^53)`);
    }
    return n;
  }
  switch (field.type) {
    case "bool":
      if (typeof value !== "boolean") bad();
      return value;
    case "string":
      if (typeof value !== "string") bad();
      return value;
    case "bytes":
      if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) bad();
      return Buffer.from(value as string, "base64");
    case "double":
    case "float":
      if (typeof value !== "number" && !(typeof value === "string" && Number.isFinite(Number(value)))) bad();
      return Number(value);
    default:
      return value;
  }
}

function normalizeValue(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.resolvedType instanceof protobuf.Type) {
    return value === null ? undefined : normalizeMessage(field.resolvedType, value, path);
  }
  return checkScalar(field, value, path);
}

function normalizeMessage(type: protobuf.Type, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JsonMappingError(`${path || "body"}: expected a JSON object for ${type.name}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const field = fieldByJsonName(type, key);
    if (field === undefined) continue;
    const fieldPath = path === "" ? field.name : `${path}.${field.name}`;
    if (field.repeated) {
      if (raw === null) continue;
      if (!Array.isArray(raw)) throw new JsonMappingError(`${fieldPath}: expected a JSON array`);
      out[field.name] = raw.map((item, i) => normalizeValue(field, item, `${fieldPath}[${i}]`));
    } else {
      const v = normalizeValue(field, raw, fieldPath);
      if (v !== undefined) out[field.name] = v;
    }
  }
  return out;
}

/** A JSON request body (already parsed) as the protobuf bytes of `type`. */
export function encodeJsonRequest(type: protobuf.Type, json: unknown): Buffer {
  const message = type.fromObject(normalizeMessage(type, json, ""));
  return Buffer.from(type.encode(message).finish());
}

const TO_JSON: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: false,
  json: true,
};

function isZero(value: unknown): boolean {
  return value === false || value === 0 || value === "" || value === "0" || value === null;
}

/**
 * Drops scalar fields that hold their zero value. raftkv's encoder writes some zeros on the wire
 * (proto3 allows it); grpc-gateway leaves every zero value out, so the JSON must not show them.
 */
function dropZeros(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key];
    if (field === undefined) continue;
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if (field.repeated) {
      if (!Array.isArray(value) || value.length === 0) delete object[key];
      else if (nested !== null) for (const item of value) dropZeros(nested, item as Record<string, unknown>);
    } else if (nested !== null) {
      if (value !== null && typeof value === "object") dropZeros(nested, value as Record<string, unknown>);
    } else if (field.partOf === null && isZero(value)) {
      delete object[key];
    } else if (
      field.resolvedType instanceof protobuf.Enum &&
      field.resolvedType.values[value as string] === 0
    ) {
      if (field.partOf === null) delete object[key];
    }
  }
  return object;
}

/** The protobuf bytes of a `type` response as grpc-gateway's JSON object. */
export function decodeJsonResponse(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return dropZeros(type, type.toObject(type.decode(bytes), TO_JSON));
}
