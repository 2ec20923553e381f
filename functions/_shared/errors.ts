/**
 * The one error shape of every function: { "error": { "code", "message", "details" } } with the
 * right status. Postgres errors are mapped by SQLSTATE; anything unexpected is a 500 with a
 * generic message (the details go to the log under the request id, never to the caller).
 */

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, "bad_request", message, details);
export const unauthorized = (message: string) => new HttpError(401, "unauthorized", message);
export const forbidden = (message: string) => new HttpError(403, "forbidden", message);
export const notFound = (message: string) => new HttpError(404, "not_found", message);
export const conflict = (message: string, details?: unknown) => new HttpError(409, "conflict", message, details);
export const unprocessable = (message: string, details?: unknown) =>
  new HttpError(422, "validation_failed", message, details);

/** What postgres.js throws for a server error: the SQLSTATE and Postgres' own fields. */
interface PostgresLikeError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  table_name?: string;
  column_name?: string;
}

function isPostgresError(error: unknown): error is PostgresLikeError & { name: string } {
  return error instanceof Error && error.name === "PostgresError" &&
    typeof (error as { code?: unknown }).code === "string";
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01-03 (admin shutdown, cannot connect now).
  return isPostgresError(error) && (/^08/.test(error.code) || /^57P0[123]$/.test(error.code));
}

/**
 * Retry-After, and the RateLimit-* fields of the IETF RateLimit header fields draft (limit, what is
 * left, seconds to the reset, the policy as "<limit>;w=<window seconds>"), from a limit's details.
 */
export function limitHeaders(limit: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof limit.retry_after === "number") {
    headers["retry-after"] = String(limit.retry_after);
    headers["ratelimit-reset"] = String(limit.retry_after);
  }
  if (typeof limit.limit === "number") {
    headers["ratelimit-limit"] = String(limit.limit);
    headers["ratelimit-remaining"] = String(typeof limit.remaining === "number" ? limit.remaining : 0);
    if (typeof limit.window_seconds === "number") {
      headers["ratelimit-policy"] = `${limit.limit};w=${limit.window_seconds}`;
    }
  }
  return headers;
}

/** Error codes for the statuses our SQL may choose with SQLSTATE GWnnn. */
const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  410: "gone",
  422: "validation_failed",
  429: "rate_limited",
};

/**
 * Our SQL picks an HTTP status with SQLSTATE GWnnn (class GW is Groundwork's); a JSON DETAIL is
 * merged into details, and its retry_after becomes the Retry-After header.
 */
function fromGroundworkState(error: PostgresLikeError, details: Record<string, unknown>): HttpError | null {
  const match = /^GW(\d{3})$/.exec(error.code);
  if (!match) return null;
  const status = Number(match[1]);
  let extra: Record<string, unknown> = {};
  try {
    const parsed: unknown = error.detail ? JSON.parse(error.detail) : {};
    if (parsed && typeof parsed === "object") extra = parsed as Record<string, unknown>;
  } catch {
    // a plain-text detail stays out of the response
  }
  return new HttpError(
    status,
    STATUS_CODES[status] ?? "error",
    error.message,
    { ...details, ...extra },
    limitHeaders(extra),
  );
}

/** Maps a Postgres error to an HttpError by SQLSTATE, or returns null when it is not one. */
export function fromPostgresError(error: unknown): HttpError | null {
  if (isConnectionError(error)) {
    return new HttpError(503, "database_unavailable", "Cannot reach the database; try again shortly");
  }
  if (!isPostgresError(error)) return null;
  const details = {
    sqlstate: error.code,
    ...(error.constraint_name ? { constraint: error.constraint_name } : {}),
    ...(error.column_name ? { column: error.column_name } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
  const chosen = fromGroundworkState(error, details);
  if (chosen) return chosen;
  const code = error.code;
  // Text PostgreSQL cannot store: a NUL byte (22021, or 22P05 inside JSON), invalid UTF-8.
  if (code === "22021" || code === "22P05") {
    const nul = /0x00|\\u0000/.test(`${error.message} ${error.detail ?? ""}`);
    return new HttpError(
      422,
      "validation_failed",
      nul
        ? "Cannot store the text: it contains the NUL character (\\u0000)"
        : "Cannot store the text: it is not valid UTF-8",
      details,
    );
  }
  if (code === "23505" || code === "23P01") return new HttpError(409, "conflict", error.message, details);
  if (code === "40001" || code === "40P01") {
    return new HttpError(409, "conflict", "The request clashed with a concurrent change; retry it", details);
  }
  if (code === "42501") return new HttpError(403, "forbidden", error.message, details);
  if (code === "P0002") return new HttpError(404, "not_found", error.message, details);
  if (code === "23503") return new HttpError(422, "invalid_reference", error.message, details);
  if (code === "23514" || code === "23502" || /^22/.test(code)) {
    return new HttpError(422, "validation_failed", error.message, details);
  }
  if (code === "P0001") return new HttpError(400, "bad_request", error.message, details);
  if (code === "57014") {
    return new HttpError(503, "timeout", "The database took too long to answer; try again", details);
  }
  return null;
}

/** Any thrown value as an HttpError: known errors keep their status, the rest become a 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  return fromPostgresError(error) ??
    new HttpError(500, "internal_error", "Something went wrong on our side; the request id identifies it in our logs");
}

export function errorBody(error: HttpError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}
