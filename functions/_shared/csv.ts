/**
 * CSV in and out of the project. Out: csv-stringify, with every cell neutralised against formula
 * injection (OWASP): a text cell that starts with =, +, -, @, a tab or a carriage return is
 * prefixed with a single quote, so a spreadsheet shows it as text instead of running it. In:
 * csv-parse, keeping each record's line number and lines of any length (the import reports a
 * ragged line as a failed line rather than refusing the file).
 */
import { CsvError, parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { HttpError, unprocessable } from "./errors.ts";

const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell value as it goes into a CSV file: dates in ISO 8601, formula-like text made inert. */
export function csvCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Rows (objects) as CSV text with a header line, in the order of `columns`. */
export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  return stringify(rows.map((row) => columns.map((column) => csvCell(row[column]))), {
    header: true,
    columns: [...columns],
  });
}

/** Rows of cells as CSV lines (no header), each cell neutralised. */
export function csvLines(rows: readonly (readonly unknown[])[]): string {
  return stringify(rows.map((row) => row.map(csvCell)));
}

export interface ParsedCsv {
  header: string[];
  /** [line number in the file, cells], the header being line 1. */
  lines: [number, string[]][];
}

/** Decodes a file's bytes in its declared character set; 422 when they are not in it. */
export function decodeFile(bytes: Uint8Array, encoding: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(
      422,
      "invalid_encoding",
      `Cannot read the file: it is not valid ${encoding.toUpperCase()}; name its encoding (windows-1252 for a CSV Excel saved on Windows)`,
    );
  }
}

/**
 * Parses CSV text: the first record is the header (trimmed), empty lines are skipped, a byte-order
 * mark is dropped. Malformed quoting answers 422 with the line; more than maxLines lines answers 413.
 */
export function parseCsv(text: string, options: { delimiter?: string; maxLines: number }): ParsedCsv {
  if (text.includes("\u0000")) {
    throw unprocessable("Cannot read the file: it contains the NUL character (\\u0000); is it a CSV file?");
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: options.delimiter ?? ",",
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      to: options.maxLines + 2,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new HttpError(422, "invalid_csv", `Cannot read the file: ${error.message}`, { line, code: error.code });
    }
    throw error;
  }
  if (records.length > options.maxLines + 1) {
    throw new HttpError(
      413,
      "payload_too_large",
      `Cannot import the file: it has more than ${options.maxLines} lines`,
      {
        max_lines: options.maxLines,
      },
    );
  }
  const [first, ...rest] = records;
  if (!first) throw unprocessable("Cannot import the file: it is empty");
  return {
    header: first.record.map((cell) => cell.trim()),
    lines: rest.map(({ record, info }) => [info.lines, record]),
  };
}
