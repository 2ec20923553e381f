/**
 * The request pipeline every function shares: request id, CORS, allowed methods, body size
 * limit, JSON parsing, zod validation, the one error shape and a structured log line per request.
 */
import { z } from "zod";
import { badRequest, errorBody, HttpError, toHttpError, unprocessable } from "./errors.ts";
import { createLogger, describeError, type Logger } from "./log.ts";

export type Handler = (request: Request) => Promise<Response>;

export interface RequestContext {
  requestId: string;
  log: Logger;
  url: URL;
}

export interface HandlerOptions {
  /** Function name, for logs. */
  name: string;
  /** Methods the function answers (OPTIONS is always answered for CORS). */
  methods: string[];
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-request-id, idempotency-key",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-expose-headers": "x-request-id, retry-after",
  "access-control-max-age": "86400",
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const bodyLimits = new WeakMap<Request, number>();

/** The caller's x-request-id when it is well formed, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

export function json(data: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(data), { ...init, headers });
}

function withStandardHeaders(response: Response, requestId: string): Response {
  const headers = new Headers(response.headers);
  headers.set("x-request-id", requestId);
  for (const [name, value] of Object.entries(CORS_HEADERS)) if (!headers.has(name)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Wraps a function's logic in the shared pipeline. Nothing thrown reaches the caller raw. */
export function createHandler(
  options: HandlerOptions,
  fn: (request: Request, context: RequestContext) => Promise<Response>,
): Handler {
  const methods = new Set(options.methods.map((m) => m.toUpperCase()));
  return async (request) => {
    const started = performance.now();
    const requestId = requestIdOf(request);
    const url = new URL(request.url);
    const log = createLogger({ function: options.name, request_id: requestId });
    let response: Response;
    try {
      if (request.method === "OPTIONS") {
        response = new Response(null, { status: 204 });
      } else if (!methods.has(request.method)) {
        throw new HttpError(
          405,
          "method_not_allowed",
          `Cannot ${request.method} ${options.name}: use ${[...methods].join(" or ")}`,
          undefined,
          {
            allow: [...methods, "OPTIONS"].join(", "),
          },
        );
      } else {
        bodyLimits.set(request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
        response = await fn(request, { requestId, log, url });
      }
    } catch (thrown) {
      const error = toHttpError(thrown);
      if (error.status >= 500) log.error("request failed", { status: error.status, ...describeError(thrown) });
      response = json(errorBody(error), { status: error.status, headers: error.headers });
    }
    log.info("request", {
      method: request.method,
      path: url.pathname,
      status: response.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return withStandardHeaders(response, requestId);
  };
}

/** Reads the body as text, refusing more than the limit (413) whatever Content-Length claims. */
export async function readText(
  request: Request,
  maxBytes = bodyLimits.get(request) ?? DEFAULT_MAX_BODY_BYTES,
): Promise<string> {
  const tooLarge = () =>
    new HttpError(413, "payload_too_large", `Cannot accept the request: the body is larger than ${maxBytes} bytes`, {
      max_bytes: maxBytes,
    });
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest("Cannot read the request: the body is not valid UTF-8");
  }
}

/** Turns zod issues into the `details` of a 422: where, and what is wrong. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(body)", message: issue.message }));
}

/** Validates a value with a zod schema, answering 422 with each problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "request"): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw unprocessable(`Cannot accept the ${what}: it does not match the expected shape`, issuesOf(result.error));
  }
  return result.data;
}

/** Parses a JSON body (400 when malformed, 415 when not JSON, 413 when oversize) and validates it (422). */
export async function readJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "Cannot accept the request: send the body as application/json");
  }
  const text = await readText(request);
  if (text.trim() === "") throw badRequest("Cannot accept the request: the body is empty; send a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest("Cannot accept the request: the body is not valid JSON", { parser: (error as Error).message });
  }
  const nul = nulPath(value);
  if (nul !== null) {
    throw unprocessable("Cannot accept the request body: text may not contain the NUL character (\\u0000)", [{
      path: nul || "(body)",
      message: "contains a NUL character",
    }]);
  }
  return validate(schema, value, "request body");
}

/** The path of the first string (or key) holding a NUL character, which PostgreSQL text cannot store; null when none does. */
export function nulPath(value: unknown, path = ""): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulPath(item, path ? `${path}.${index}` : String(index));
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key.includes("\u0000")) return here;
      const found = nulPath(item, here);
      if (found !== null) return found;
    }
  }
  return null;
}

/** Validates the query string (each key once) against a zod schema. */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const query = Object.fromEntries(url.searchParams);
  const nul = nulPath(query);
  if (nul !== null) {
    throw unprocessable("Cannot accept the query: text may not contain the NUL character (\\u0000)", [{
      path: nul,
      message: "contains a NUL character",
    }]);
  }
  return validate(schema, query, "query");
}
