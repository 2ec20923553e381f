/**
 * Structured logs: one JSON object per line, always with the function and the request id. Logs
 * never hold a secret: fields named like one are replaced, and path segments that look like a
 * token (a calendar feed's secret URL, say) are redacted before they are written.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Where log lines go; tests replace it to read them. */
export const logSink: { write: (line: string) => void } = {
  write: (line) => console.log(line),
};

const SECRET_FIELD = /token|secret|password|passwd|authorization|api_?key|cookie|signature/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_SEGMENT = /^([A-Za-z0-9_-]{20,})(\.[A-Za-z0-9]{1,8})?$/;
export const REDACTED = "[redacted]";

/** A URL path with every token-like segment (20+ URL-safe characters that are not a UUID) redacted. */
export function redactPath(pathname: string): string {
  return pathname.split("/").map((segment) => {
    const match = TOKEN_SEGMENT.exec(segment);
    if (!match || UUID.test(segment) || !/[0-9]/.test(match[1]!) && !/[A-Z]/.test(match[1]!)) return segment;
    return `${REDACTED}${match[2] ?? ""}`;
  }).join("/");
}

/** Log fields with secrets replaced: fields named like a secret, and token-like path segments. */
export function redactFields(fields: LogFields): LogFields {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => {
      if (SECRET_FIELD.test(key) && value !== undefined && value !== null) return [key, REDACTED];
      if ((key === "path" || key === "url") && typeof value === "string") return [key, redactPath(value)];
      return [key, value];
    }),
  );
}

export function createLogger(base: LogFields): Logger {
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) =>
    logSink.write(
      JSON.stringify({ time: new Date().toISOString(), level, message, ...redactFields({ ...base, ...fields }) }),
    );
  return {
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  };
}

/** Error details fit for a log line (never for a response). */
export function describeError(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      error_name: error.name,
      error_message: error.message,
      ...(code ? { error_code: code } : {}),
      stack: error.stack,
    };
  }
  return { error_message: String(error) };
}
