/**
 * HTTP pieces the function pipeline (app.ts) and the native gateway share: request ids, CORS
 * headers, JSON answers, reading a body under a limit, zod issues as error details, NUL checks.
 */
import { z } from "zod";
import { badRequest, HttpError, unprocessable } from "./errors.ts";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-request-id, idempotency-key",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-expose-headers":
    "x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, content-disposition, x-export-id",
  "access-control-max-age": "86400",
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's x-request-id when it is well formed, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/**
 * The client's address as the gateway saw it: x-real-ip, which Supabase's gateway and the native
 * one set from the connection (a value the caller sent is replaced). Null when absent or malformed.
 */
export function clientIp(request: Request): string | null {
  const value = request.headers.get("x-real-ip")?.trim();
  return value && /^[0-9a-fA-F:.]{2,45}$/.test(value) ? value : null;
}

export function json(data: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(data), { ...init, headers });
}

/** Reads the body as text, refusing more than the limit (413) whatever Content-Length claims. */
export async function readText(request: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<string> {
  const bytes = await readBytes(request, maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest("Cannot read the request: the body is not valid UTF-8");
  }
}

/** Reads the body's bytes, refusing more than the limit (413) whatever Content-Length claims. */
export async function readBytes(request: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Uint8Array> {
  const tooLarge = () =>
    new HttpError(413, "payload_too_large", `Cannot accept the request: the body is larger than ${maxBytes} bytes`, {
      max_bytes: maxBytes,
    });
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
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
  return bytes;
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

/**
 * A response body pulled from an async generator: the next chunk is made only when the client has
 * taken the last (so memory stays flat however long the body), and a client that goes away ends
 * the generator (its finally blocks run).
 */
export function streamOf(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, { highWaterMark: 0 });
}

/** A timestamp column as JSON carries it: ISO 8601 (postgres.js gives a Date), or null. */
export function isoOrNull(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  return value === null || value === undefined ? null : String(value);
}
