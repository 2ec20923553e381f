/**
 * exports: the records of a kind (or a saved view) as CSV, JSON or XLSX, read as the caller so RLS
 * decides what is in the file. Small exports stream in the answer, page by page; large ones (or on
 * request) are a job that writes the file to the exports bucket and notifies its maker with a
 * signed link, in the transaction that finishes it. Every export is recorded in public.exports,
 * whose audit trail is the export event.
 */
import type { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp, serviceOrSecret } from "../_shared/app.ts";
import type { Claims } from "../_shared/auth.ts";
import { asCaller, becomeCaller, type Sql, type Tx } from "../_shared/db.ts";
import { notFound } from "../_shared/errors.ts";
import { isoOrNull, json, streamOf } from "../_shared/http.ts";
import type { Logger } from "../_shared/log.ts";
import type { Runtime } from "../_shared/runtime.ts";
import type { StorageClient } from "../_shared/storage.ts";
import {
  CONTENT_TYPES,
  encodeExport,
  exportColumns,
  type ExportSpec,
  EXTENSIONS,
  type Format,
  recordPages,
  type Run,
  scopedFilter,
  type Tally,
} from "./files.ts";
import { Export, ExportAnswer, ExportId, ExportRequest, WorkRequest, WorkResult } from "./schemas.ts";

export { Export, ExportRequest };

/** Above this many rows, `auto` sends the export to Storage. */
export const STREAM_LIMIT = 50_000;
/** How long a signed link to an export file works. */
export const LINK_SECONDS = 24 * 3600;

export interface ExportsDeps extends Runtime {
  storage: StorageClient;
  secret: string;
}
type C = Ctx<ExportsDeps>;

const COLUMNS =
  `e.id, e.org_id, e.created_by, e.kind, e.format::text as format, e.filter, e.columns, e.view_id, e.delivery,
  e.status, e.row_count, e.byte_size, e.error, e.storage_path, e.created_at, e.finished_at`;

async function readExport(tx: Tx, id: string): Promise<Export & { storage_path: string | null }> {
  const [row] = await tx`select ${tx.unsafe(COLUMNS)} from public.exports e where e.id = ${id}`;
  if (!row) throw notFound(`Cannot find export ${id} in your organizations`);
  return {
    ...Export.parse({
      ...row,
      row_count: Number(row.row_count),
      byte_size: Number(row.byte_size),
      created_at: isoOrNull(row.created_at),
      finished_at: isoOrNull(row.finished_at),
    }),
    storage_path: row.storage_path as string | null,
  };
}

export const routes = {
  createExport: defineRoute({
    name: "createExport",
    method: "post",
    path: "/",
    summary: "Export records of a kind, or a saved view, as CSV, JSON or XLSX",
    description:
      "Read as you (RLS decides). A download streams the file in the answer; a Storage export answers 202 and notifies you with a signed link when its file is written.",
    access: "user",
    body: ExportRequest,
    responses: {
      200: { description: "The file (text/csv, application/json or XLSX)", type: "application/octet-stream" },
      202: { description: "The export is queued for the job", schema: ExportAnswer },
    },
  }),
  getExport: defineRoute({
    name: "getExport",
    method: "get",
    path: "/{id}",
    summary: "An export's state, with a fresh signed link once its file is written",
    access: "user",
    params: ExportId,
    responses: { 200: { description: "The export", schema: ExportAnswer } },
  }),
  workExports: defineRoute({
    name: "workExports",
    method: "post",
    path: "/work",
    summary: "Write queued exports to Storage (pg_cron and the native stack call this)",
    access: "public",
    limited: false,
    security: ["bearer", "dispatchSecret"],
    middleware: [serviceOrSecret("run exports")],
    body: WorkRequest,
    bodyRequired: false,
    responses: { 200: { description: "What was done", schema: WorkResult } },
  }),
};

/** The export's kind, filter and columns: the request's, or its saved view's (one the caller can see). */
async function specOf(tx: Tx, body: ExportRequest): Promise<ExportSpec> {
  if (body.view_id === undefined) {
    return { orgId: body.org_id, kind: body.kind!, filter: body.filter ?? {}, columns: body.columns ?? null };
  }
  const [view] =
    await tx`select kind, filter, columns from public.saved_views where id = ${body.view_id} and org_id = ${body.org_id}`;
  if (!view) throw notFound(`Cannot export view ${body.view_id}: no such view shared with you in this organization`);
  const filter = view.filter as { where?: unknown; sort?: unknown[] };
  return {
    orgId: body.org_id,
    kind: view.kind as string,
    filter: { where: filter.where, sort: filter.sort },
    columns: (view.columns as string[]).length ? view.columns as string[] : null,
  };
}

function fileName(kind: string, format: Format): string {
  return `${kind.replace(".", "-")}-${new Date().toISOString().slice(0, 10)}.${EXTENSIONS[format]}`;
}

async function createExport(c: C, { body }: { body: ExportRequest }) {
  const opened = await asRequestCaller(c, async (tx) => {
    const spec = await specOf(tx, body);
    // Checks the filter and columns as the caller (a clear 422) before anything is recorded.
    const probe = tx.json(scopedFilter(spec, 1) as never);
    await tx`select 1 from public.query_records(${spec.kind}, ${probe}, null, ${spec.columns}::text[])`;
    let delivery: "download" | "storage";
    if (body.delivery === "auto") {
      const [counted] = await tx`select public.count_records(${spec.kind}, ${probe}) as count`;
      delivery = Number(counted?.count) > STREAM_LIMIT ? "storage" : "download";
    } else {
      delivery = body.delivery;
    }
    const [row] = await tx`
      select id from private.open_export(${body.org_id}, ${spec.kind}, ${body.format}::public.export_format,
        ${tx.json(spec.filter as never)}, ${spec.columns ?? []}::text[], ${body.view_id ?? null}::uuid, ${delivery})`;
    return { id: row!.id as string, spec, delivery, export: await readExport(tx, row!.id as string) };
  });
  c.var.log.info("export opened", { export_id: opened.id, delivery: opened.delivery });
  if (opened.delivery === "storage") {
    const { storage_path: _, ...record } = opened.export;
    return json({ export: record }, { status: 202 });
  }
  const claims = c.var.claims;
  const run: Run = (fn) => asRequestCaller(c, fn, claims);
  const tally: Tally = { rows: 0, bytes: 0 };
  async function* file(): AsyncGenerator<Uint8Array> {
    let error: string | null = "The download was interrupted";
    try {
      const columns = await exportColumns(run, opened.spec);
      yield* encodeExport(body.format, columns, recordPages(run, opened.spec, columns), tally);
      error = null;
    } catch (thrown) {
      error = (thrown as Error).message;
      throw thrown;
    } finally {
      await run((tx) => tx`select id from private.finish_export(${opened.id}, ${tally.rows}, ${tally.bytes}, ${error})`)
        .catch((e: Error) => c.var.log.warn("export not closed", { export_id: opened.id, error: e.message }));
    }
  }
  return new Response(streamOf(file()), {
    headers: {
      "content-type": CONTENT_TYPES[body.format],
      "content-disposition": `attachment; filename="${fileName(opened.spec.kind, body.format)}"`,
      "x-export-id": opened.id,
    },
  });
}

async function getExport(c: C, { params }: { params: z.output<typeof ExportId> }) {
  const found = await asRequestCaller(c, (tx) => readExport(tx, params.id));
  const { storage_path: path, ...record } = found;
  const link = record.status === "completed" && record.delivery === "storage" && path
    ? await c.env.storage.signDownload("exports", path, LINK_SECONDS)
    : null;
  return json({ export: record, download_url: link });
}

/**
 * The job: one queued export at a time, in one transaction holding its claim — act as its maker,
 * read the pages, stream the file to Storage, sign a link, finish and notify. A failure rolls all
 * of it back; the export is then closed as failed (its maker is told) in a transaction of its own.
 */
export async function workExports(
  deps: { sql: Sql; storage: StorageClient },
  options: { maxMs: number; requestId?: string; log?: Logger },
): Promise<WorkResult> {
  const deadline = performance.now() + options.maxMs;
  const result: WorkResult = { exports: 0, rows: 0, failed: 0 };
  const request = {
    method: "POST",
    path: "/functions/v1/exports/work",
    headers: { "x-request-id": options.requestId ?? crypto.randomUUID() },
  };
  while (performance.now() < deadline) {
    let claimed: { id: string; claims: Claims } | null = null;
    try {
      const done = await deps.sql.begin(async (tx) => {
        const [job] = await tx<{ id: string; claims: Claims }[]>`select id, claims from private.claim_export_work()`;
        if (!job) return false;
        claimed = job;
        await becomeCaller(tx, job.claims, request);
        const record = await readExport(tx, job.id);
        const spec: ExportSpec = {
          orgId: record.org_id,
          kind: record.kind,
          filter: record.filter as ExportSpec["filter"],
          columns: record.columns.length ? record.columns : null,
        };
        const run: Run = (fn) => fn(tx);
        const columns = await exportColumns(run, spec);
        const tally: Tally = { rows: 0, bytes: 0 };
        const path = `${record.org_id}/${record.id}.${EXTENSIONS[record.format]}`;
        await deps.storage.upload(
          "exports",
          path,
          streamOf(encodeExport(record.format, columns, recordPages(run, spec, columns), tally)),
          CONTENT_TYPES[record.format],
        );
        const link = await deps.storage.signDownload("exports", path, LINK_SECONDS);
        await tx`select id from private.finish_export(${job.id}, ${tally.rows}, ${tally.bytes}, null, ${path}, ${link})`;
        result.rows += tally.rows;
        return true;
      });
      if (!done) break;
      result.exports++;
    } catch (error) {
      result.failed++;
      const failed = claimed as { id: string; claims: Claims } | null;
      options.log?.warn("export failed", { export_id: failed?.id, error: (error as Error).message });
      if (!failed) break;
      await asCaller(
        deps.sql,
        failed.claims,
        (tx) =>
          tx`select id from private.finish_export(${failed.id}, 0, 0, ${`Cannot write the export: ${
            (error as Error).message
          }`})`,
        request,
      )
        .catch(() => {});
    }
  }
  return result;
}

async function runWork(c: C, { body }: { body: z.output<typeof WorkRequest> }) {
  const result = await workExports(c.env, {
    maxMs: body.max_seconds * 1000,
    requestId: c.var.requestId,
    log: c.var.log,
  });
  c.var.log.info("exports worked", { ...result });
  return json(result);
}

export const exportsApp = new FunctionApp<ExportsDeps>({
  name: "exports",
  description:
    "Exports of any kind of record or saved view as CSV, JSON or XLSX, read as the caller: streamed, or written to Storage by a job with a signed link.",
  maxBodyBytes: 64 * 1024,
})
  .route(routes.workExports, runWork)
  .route(routes.createExport, createExport)
  .route(routes.getExport, getExport);
