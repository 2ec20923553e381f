/**
 * CSV out of the project, through csv-stringify, with every cell neutralised against formula
 * injection (OWASP): a text cell that starts with =, +, -, @, a tab or a carriage return is
 * prefixed with a single quote, so a spreadsheet shows it as text instead of running it.
 */
import { stringify } from "csv-stringify/sync";

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
