/**
 * imports: CSV files into a kind of record, as the caller. Upload (the body, or an object of the
 * documents bucket the caller may read) → the lines are parsed (csv-parse) and staged with a
 * suggested mapping → a dry run and/or the import, which a job applies in batches as the member
 * who started it (a savepoint a line: RLS, constraints and audit as for any insert), recording each
 * failed line with field and reason → progress on public.imports (Realtime) → failed lines as CSV
 * → revert. The job runs inline for a few seconds after each start, then on the scheduler's calls
 * to POST /imports/work, resuming from the last committed batch after any crash.
 */
import type { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp, serviceOrSecret } from "../_shared/app.ts";
import type { Claims } from "../_shared/auth.ts";
import { csvLines, decodeFile, parseCsv } from "../_shared/csv.ts";
import { becomeCaller, type Sql, type Tx } from "../_shared/db.ts";
import { HttpError, notFound, unprocessable } from "../_shared/errors.ts";
import { isoOrNull, json, readBytes, streamOf } from "../_shared/http.ts";
import type { Logger } from "../_shared/log.ts";
import type { Runtime } from "../_shared/runtime.ts";
import type { StorageClient } from "../_shared/storage.ts";
import {
  Field,
  Import,
  ImportAnswer,
  ImportId,
  LineReport,
  StartRequest,
  UploadQuery,
  WorkRequest,
  WorkResult,
} from "./schemas.ts";

export { Import, StartRequest, UploadQuery };

/** The largest file accepted (bytes) and the most lines. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_LINES = 200_000;
const STAGE_CHUNK = 5_000;
/** How long a start waits for its own job before answering 202. */
const INLINE_MS = 4_000;

export interface ImportsDeps extends Runtime {
  storage: StorageClient;
  /** The scheduler's shared secret for POST /imports/work. */
  secret: string;
}
type C = Ctx<ImportsDeps>;
type Id = { params: z.output<typeof ImportId> };

const COLUMNS =
  `i.id, i.org_id, i.created_by, i.kind, i.file_name, i.header, i.mapping, i.on_duplicate::text as on_duplicate,
  i.status::text as status, i.dry_run, i.total_rows, i.processed_rows, i.created_rows, i.updated_rows, i.skipped_rows,
  i.failed_rows, i.reverted_rows, i.kept_rows, i.started_at, i.finished_at, i.reverted_at, i.created_at`;

function present(row: Record<string, unknown>): Import {
  return Import.parse({
    ...row,
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    reverted_at: isoOrNull(row.reverted_at),
    created_at: isoOrNull(row.created_at),
  });
}

/** The import as the caller sees it (RLS: core.imports.read). */
async function readImport(tx: Tx, id: string): Promise<Import> {
  const [row] = await tx`select ${tx.unsafe(COLUMNS)} from public.imports i where i.id = ${id}`;
  if (!row) throw notFound(`Cannot find import ${id} in your organizations`);
  return present(row);
}

/** "Start date" and "start_date" both find start_date. */
const normalise = (name: string) =>
  name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");

export function suggestMapping(header: readonly string[], fields: readonly { name: string }[]): Record<string, string> {
  const byName = new Map(fields.map((f) => [f.name, f.name]));
  const mapping: Record<string, string> = {};
  const used = new Set<string>();
  for (const column of header) {
    const field = byName.get(normalise(column));
    if (field && !used.has(field)) {
      mapping[column] = field;
      used.add(field);
    }
  }
  return mapping;
}

export const routes = {
  uploadImport: defineRoute({
    name: "uploadImport",
    method: "post",
    path: "/",
    summary: "Upload a CSV file and stage its lines for an import",
    description:
      "Send the file as the body (text/csv) or name an object of the documents bucket you may read. The lines are kept; nothing is imported until you start it. The answer suggests a mapping (headers that name a field) and lists the fields you may fill.",
    access: "user",
    query: UploadQuery,
    rawBody: { type: "text/csv", description: "The CSV file: a header line, then one record a line" },
    responses: { 201: { description: "The staged import, the fields and a suggested mapping", schema: ImportAnswer } },
  }),
  getImport: defineRoute({
    name: "getImport",
    method: "get",
    path: "/{id}",
    summary: "An import's progress and its first failed lines",
    access: "user",
    params: ImportId,
    responses: { 200: { description: "The import", schema: ImportAnswer } },
  }),
  importErrors: defineRoute({
    name: "importErrors",
    method: "get",
    path: "/{id}/errors",
    summary: "The failed lines of an import as CSV",
    description:
      "line, field, reason and message, then the line's cells under the file's header (cells neutralised against formulas).",
    access: "user",
    params: ImportId,
    responses: { 200: { description: "The failed lines", type: "text/csv" } },
  }),
  dryRunImport: defineRoute({
    name: "dryRunImport",
    method: "post",
    path: "/{id}/dry-run",
    summary: "Check every line without writing anything",
    description:
      "Applies each line and rolls it back, recording what would happen (created, updated, skipped, failed with field and reason).",
    access: "user",
    params: ImportId,
    body: StartRequest,
    bodyRequired: false,
    responses: {
      200: { description: "The dry run finished", schema: ImportAnswer },
      202: { description: "The dry run continues as a job; follow public.imports", schema: ImportAnswer },
    },
  }),
  startImport: defineRoute({
    name: "startImport",
    method: "post",
    path: "/{id}/start",
    summary: "Import the lines",
    access: "user",
    params: ImportId,
    body: StartRequest,
    bodyRequired: false,
    responses: {
      200: { description: "The import finished", schema: ImportAnswer },
      202: { description: "The import continues as a job; follow public.imports", schema: ImportAnswer },
    },
  }),
  revertImport: defineRoute({
    name: "revertImport",
    method: "post",
    path: "/{id}/revert",
    summary: "Remove the rows an import created that nobody changed since",
    access: "user",
    params: ImportId,
    responses: {
      200: { description: "The revert finished", schema: ImportAnswer },
      202: { description: "The revert continues as a job", schema: ImportAnswer },
    },
  }),
  cancelImport: defineRoute({
    name: "cancelImport",
    method: "post",
    path: "/{id}/cancel",
    summary: "Stop an import where it is",
    access: "user",
    params: ImportId,
    responses: { 200: { description: "The import, cancelled", schema: ImportAnswer } },
  }),
  workImports: defineRoute({
    name: "workImports",
    method: "post",
    path: "/work",
    summary: "Run queued imports (pg_cron and the native stack call this)",
    access: "public",
    limited: false,
    security: ["bearer", "dispatchSecret"],
    middleware: [serviceOrSecret("run imports")],
    body: WorkRequest,
    bodyRequired: false,
    responses: { 200: { description: "What was done", schema: WorkResult } },
  }),
};

/**
 * The job: claims a running import no other worker holds (locked in this transaction), acts as
 * the member it runs for, and applies one batch; the batch and its progress commit together.
 */
export async function workImports(
  sql: Sql,
  options: { maxMs: number; batchSize: number; importId?: string; requestId?: string; log?: Logger },
): Promise<WorkResult> {
  const deadline = performance.now() + options.maxMs;
  const result: WorkResult = { batches: 0, lines: 0, failed: 0 };
  while (performance.now() < deadline) {
    let progress: { lines: number } | null;
    try {
      progress = await sql.begin(async (tx) => {
        const [job] = await tx<{ id: string; claims: Claims }[]>`
          select id, claims from private.claim_import_work(${options.importId ?? null}::uuid)`;
        if (!job) return null;
        await becomeCaller(tx, job.claims, {
          method: "POST",
          path: "/functions/v1/imports/work",
          headers: { "x-request-id": options.requestId ?? crypto.randomUUID() },
        });
        const [row] = await tx<{ progress: { lines: number } }[]>`
          select private.run_import_batch(${job.id}, ${options.batchSize}) as progress`;
        return row!.progress;
      }) as { lines: number } | null;
    } catch (error) {
      result.failed++;
      options.log?.warn("import batch failed", { error: (error as Error).message });
      break; // the batch rolled back; its lines are still pending for the next run
    }
    if (!progress) break;
    result.batches++;
    result.lines += progress.lines;
  }
  return result;
}

async function fileBytes(c: C, query: UploadQuery): Promise<Uint8Array> {
  if (query.storage_path === undefined) {
    const type = c.req.header("content-type") ?? "";
    if (!/^(text\/csv|text\/plain|application\/csv|application\/octet-stream)\b/i.test(type)) {
      throw new HttpError(415, "unsupported_media_type", "Cannot accept the file: send it as text/csv");
    }
    return readBytes(c.req.raw, MAX_FILE_BYTES);
  }
  if ((await readBytes(c.req.raw, 1024)).byteLength > 0) {
    throw unprocessable("Cannot accept the file: send it as the body or name storage_path, not both");
  }
  const path = query.storage_path;
  const readable = await asRequestCaller(
    c,
    (tx) =>
      tx`select (metadata ->> 'size')::bigint as size from storage.objects where bucket_id = 'documents' and name = ${path}`,
  );
  if (readable.length === 0) throw notFound(`Cannot import ${path}: no such file you may read in the documents bucket`);
  if (Number(readable[0]!.size ?? 0) > MAX_FILE_BYTES) {
    throw new HttpError(413, "payload_too_large", `Cannot import ${path}: it is larger than ${MAX_FILE_BYTES} bytes`);
  }
  const bytes = await c.env.storage.download("documents", path);
  if (bytes.byteLength > MAX_FILE_BYTES) {
    throw new HttpError(413, "payload_too_large", `Cannot import ${path}: it is larger than ${MAX_FILE_BYTES} bytes`);
  }
  return bytes;
}

async function uploadImport(c: C, { query }: { query: UploadQuery }) {
  const bytes = await fileBytes(c, query);
  const parsed = parseCsv(decodeFile(bytes, query.encoding), { delimiter: query.delimiter, maxLines: MAX_LINES });
  if (parsed.lines.length === 0) throw unprocessable("Cannot import the file: it has a header and no lines");
  if (parsed.header.length > 200) throw unprocessable("Cannot import the file: it has more than 200 columns");
  const answer = await asRequestCaller(c, async (tx) => {
    const fields = (await tx`select name, type, required from private.import_fields(${query.kind})`).map((f) =>
      Field.parse(f)
    );
    const mapping = suggestMapping(parsed.header, fields);
    const [staged] = await tx<{ id: string }[]>`
      select id from private.stage_import(${query.org_id}, ${query.kind}, ${query.file_name}, ${parsed.header}::text[],
        ${tx.json(mapping)})`;
    for (let i = 0; i < parsed.lines.length; i += STAGE_CHUNK) {
      await tx`select private.stage_import_lines(${staged!.id}, ${tx.json(parsed.lines.slice(i, i + STAGE_CHUNK))})`;
    }
    await tx`select private.finish_staging(${staged!.id})`;
    return { import: await readImport(tx, staged!.id), fields };
  });
  c.var.log.info("import staged", { import_id: answer.import.id, lines: answer.import.total_rows });
  return json(answer, { status: 201 });
}

async function failures(tx: Tx, id: string, after = 0, limit = 100) {
  const rows =
    await tx`select line, status, field, reason, message from private.import_report(${id}, ${after}, ${limit})`;
  return rows.map((r) => LineReport.parse(r));
}

/** The import and its first failed lines, as the caller sees them. */
async function report(tx: Tx, id: string) {
  return { import: await readImport(tx, id), failures: await failures(tx, id) };
}

async function getImport(c: C, { params }: Id) {
  return json(await asRequestCaller(c, (tx) => report(tx, params.id)));
}

async function importErrors(c: C, { params }: Id) {
  const header = (await asRequestCaller(c, (tx) => readImport(tx, params.id))).header;
  const claims = c.var.claims;
  const encoder = new TextEncoder();
  async function* pages(): AsyncGenerator<Uint8Array> {
    yield encoder.encode(csvLines([["line", "field", "reason", "message", ...header]]));
    for (let after = 0;;) {
      const rows = await asRequestCaller(
        c,
        (tx) => tx`select line, cells, field, reason, message from private.import_report(${params.id}, ${after}, 5000)`,
        claims,
      );
      if (rows.length === 0) return;
      yield encoder.encode(csvLines(rows.map((r) => [r.line, r.field, r.reason, r.message, ...(r.cells as string[])])));
      after = rows[rows.length - 1]!.line as number;
    }
  }
  return new Response(streamOf(pages()), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="import-${params.id}-errors.csv"`,
    },
  });
}

/** Runs the import's own job for a few seconds, then answers its state: 200 when it is done. */
async function runAndAnswer(c: C, id: string) {
  await workImports(c.env.sql, {
    maxMs: INLINE_MS,
    batchSize: 1000,
    importId: id,
    requestId: c.var.requestId,
    log: c.var.log,
  });
  const answer = await asRequestCaller(c, (tx) => report(tx, id));
  const working = ["validating", "running", "reverting"].includes(answer.import.status);
  return json(answer, { status: working ? 202 : 200 });
}

function starter(dryRun: boolean) {
  return async (c: C, { params, body }: Id & { body: z.output<typeof StartRequest> }) => {
    await asRequestCaller(
      c,
      (tx) =>
        tx`select id from private.start_import(${params.id}, ${
          tx.json(body.mapping ?? {})
        }, ${body.on_duplicate}::public.duplicate_action, ${dryRun})`,
    );
    return runAndAnswer(c, params.id);
  };
}

async function revertImport(c: C, { params }: Id) {
  await asRequestCaller(c, (tx) => tx`select id from private.revert_import(${params.id})`);
  return runAndAnswer(c, params.id);
}

async function cancelImport(c: C, { params }: Id) {
  return json(
    await asRequestCaller(c, async (tx) => {
      await tx`select id from private.cancel_import(${params.id})`;
      return { import: await readImport(tx, params.id) };
    }),
  );
}

async function runWork(c: C, { body }: { body: z.output<typeof WorkRequest> }) {
  const result = await workImports(c.env.sql, {
    maxMs: body.max_seconds * 1000,
    batchSize: body.batch_size,
    requestId: c.var.requestId,
    log: c.var.log,
  });
  c.var.log.info("imports worked", { ...result });
  return json(result);
}

export const imports = new FunctionApp<ImportsDeps>({
  name: "imports",
  description:
    "CSV imports into any kind of record that accepts them: upload, mapping, dry run, a job applying lines in batches as the caller, failed lines as CSV, revert.",
  maxBodyBytes: MAX_FILE_BYTES,
})
  .route(routes.workImports, runWork)
  .route(routes.uploadImport, uploadImport)
  .route(routes.getImport, getImport)
  .route(routes.importErrors, importErrors)
  .route(routes.dryRunImport, starter(true))
  .route(routes.startImport, starter(false))
  .route(routes.revertImport, revertImport)
  .route(routes.cancelImport, cancelImport);
