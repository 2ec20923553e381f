/** Structured logs: one JSON object per line, always with the function and the request id. */

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

export function createLogger(base: LogFields): Logger {
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) =>
    logSink.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }));
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
    return { error_name: error.name, error_message: error.message, ...(code ? { error_code: code } : {}), stack: error.stack };
  }
  return { error_message: String(error) };
}
