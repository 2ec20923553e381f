/**
 * An export's rows and file. Rows come page by page (500) from public.query_records as the caller,
 * keyset-paginated, so RLS decides what is in the file and memory stays flat however many rows;
 * the file is written as the pages arrive: CSV (csv-stringify), JSON (an array, a record a line) or
 * XLSX (exceljs's streaming writer). Text cells of CSV and XLSX are neutralised against formulas.
 */
import { PassThrough } from "node:stream";
import { csvCell, csvLines } from "../_shared/csv.ts";
import type { Tx } from "../_shared/db.ts";

export type Format = "csv" | "json" | "xlsx";
/** Runs a statement as the export's reader: a transaction of its own per page, or the job's. */
export type Run = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export interface ExportSpec {
  orgId: string;
  kind: string;
  filter: { where?: unknown; sort?: unknown[] };
  columns: string[] | null;
}

export const PAGE_ROWS = 500;

export const CONTENT_TYPES: Record<Format, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** The filter document query_records runs: the caller's, inside the export's organization. */
export function scopedFilter(spec: ExportSpec, limit = PAGE_ROWS): Record<string, unknown> {
  const org = { field: "org_id", op: "eq", value: spec.orgId };
  return {
    where: spec.filter.where === undefined ? org : { and: [org, spec.filter.where] },
    ...(spec.filter.sort ? { sort: spec.filter.sort } : {}),
    limit,
  };
}

/** The export's columns: those named, or every column the reader may read (not the search vector). */
export async function exportColumns(run: Run, spec: ExportSpec): Promise<string[]> {
  if (spec.columns && spec.columns.length > 0) return spec.columns;
  const rows = await run((tx) =>
    tx`select a.attname::text as name from pg_catalog.pg_attribute a
       where a.attrelid = private.view_table(${spec.kind}) and a.attnum > 0 and not a.attisdropped
         and a.attname <> 'search_vector' and pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'select')
       order by a.attnum`
  );
  return rows.map((r) => r.name as string);
}

/** The rows, a page at a time, as the reader. */
export async function* recordPages(
  run: Run,
  spec: ExportSpec,
  columns: string[],
): AsyncGenerator<Record<string, unknown>[]> {
  const filter = scopedFilter(spec);
  let cursor: string | null = null;
  for (;;) {
    const after: string | null = cursor;
    const rows = await run((tx) =>
      tx`select record, cursor from public.query_records(${spec.kind}, ${
        tx.json(filter as never)
      }, ${after}, ${columns}::text[])`
    );
    if (rows.length === 0) return;
    yield rows.map((r) => r.record as Record<string, unknown>);
    if (rows.length < PAGE_ROWS) return;
    cursor = rows[rows.length - 1]!.cursor as string;
  }
}

export interface Tally {
  rows: number;
  bytes: number;
}

/** The file, chunk by chunk, from the pages; counts rows and bytes into the tally. */
export async function* encodeExport(
  format: Format,
  columns: string[],
  pages: AsyncGenerator<Record<string, unknown>[]>,
  tally: Tally,
): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const out = (text: string) => {
    const bytes = encoder.encode(text);
    tally.bytes += bytes.byteLength;
    return bytes;
  };
  if (format === "xlsx") {
    for await (const chunk of xlsxChunks(columns, pages, tally)) {
      tally.bytes += chunk.byteLength;
      yield chunk;
    }
    return;
  }
  yield out(format === "csv" ? csvLines([columns]) : "[");
  for await (const page of pages) {
    const text = format === "csv"
      ? csvLines(page.map((row) => columns.map((c) => row[c])))
      : page.map((row, i) => `${tally.rows + i === 0 ? "\n" : ",\n"}${JSON.stringify(row)}`).join("");
    tally.rows += page.length;
    yield out(text);
  }
  if (format === "json") yield out(tally.rows === 0 ? "]\n" : "\n]\n");
}

/** XLSX through exceljs's streaming writer: each page is committed and what it wrote is passed on. */
async function* xlsxChunks(
  columns: string[],
  pages: AsyncGenerator<Record<string, unknown>[]>,
  tally: Tally,
): AsyncGenerator<Uint8Array> {
  // Loaded on first use: exceljs reads the environment when imported, which a function may only do once it runs.
  const { default: ExcelJS } = await import("exceljs");
  const pass = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: pass, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet("Export");
  sheet.addRow(columns).commit();
  const drain = function* (): Generator<Uint8Array> {
    for (let chunk = pass.read(); chunk !== null; chunk = pass.read()) yield new Uint8Array(chunk as Buffer);
  };
  for await (const page of pages) {
    for (const row of page) {
      sheet.addRow(columns.map((c) => xlsxCell(row[c]))).commit();
    }
    tally.rows += page.length;
    await new Promise((resolve) => setTimeout(resolve, 0));
    yield* drain();
  }
  sheet.commit();
  const ended = new Promise<void>((resolve) => pass.on("end", () => resolve()));
  const collected: Uint8Array[] = [];
  pass.on("data", (chunk: Buffer) => collected.push(new Uint8Array(chunk)));
  await workbook.commit();
  await ended;
  yield* collected;
}

function xlsxCell(value: unknown): string | number | boolean | null {
  if (typeof value === "number" || typeof value === "boolean") return value;
  return csvCell(value) as string | null;
}

export const EXTENSIONS: Record<Format, string> = { csv: "csv", json: "json", xlsx: "xlsx" };
