/** The exports function's request and response shapes. */
import { z } from "zod";

const Kind = z.string().regex(
  /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/,
  "must be a kind of record, like compliance.contract",
);
const FieldName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a field name");

export const ExportRequest = z.object({
  org_id: z.uuid().describe("The organization whose records are exported"),
  kind: Kind.optional().describe("The kind of record (or give view_id)"),
  view_id: z.uuid().optional().describe("A saved view you can see: its kind, filter and columns"),
  filter: z.object({ where: z.unknown().optional(), sort: z.array(z.unknown()).max(3).optional() }).strict().optional()
    .describe("A filter document's where and sort (checked against the columns you may read)"),
  columns: z.array(FieldName).min(1).max(100).optional().describe("The columns, in order (default: all you may read)"),
  format: z.enum(["csv", "json", "xlsx"]).default("csv"),
  delivery: z.enum(["auto", "download", "storage"]).default("auto")
    .describe(
      "download: streamed in the answer; storage: a job writes the file and notifies you with a link; auto: storage above 50,000 rows",
    ),
}).strict().refine((v) => (v.kind === undefined) !== (v.view_id === undefined), "give either kind or view_id")
  .refine(
    (v) => v.view_id === undefined || (v.filter === undefined && v.columns === undefined),
    "a view brings its own filter and columns",
  );
export type ExportRequest = z.infer<typeof ExportRequest>;

export const ExportId = z.object({ id: z.uuid() });

export const WorkRequest = z.object({
  max_seconds: z.number().int().min(1).max(50).default(40).describe("Stop taking new exports after this long"),
}).strict();

export const Export = z.object({
  id: z.string(),
  org_id: z.string(),
  created_by: z.string().nullable(),
  kind: z.string(),
  format: z.enum(["csv", "json", "xlsx"]),
  filter: z.record(z.string(), z.unknown()),
  columns: z.array(z.string()),
  view_id: z.string().nullable(),
  delivery: z.enum(["download", "storage"]),
  status: z.enum(["queued", "running", "completed", "failed"]),
  row_count: z.number(),
  byte_size: z.number(),
  error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type Export = z.infer<typeof Export>;

export const ExportAnswer = z.object({
  export: Export,
  download_url: z.string().nullable().optional().describe(
    "A signed link to the file (24 hours), once a Storage export is done",
  ),
});
export const WorkResult = z.object({
  exports: z.number(),
  rows: z.number(),
  failed: z.number(),
});
export type WorkResult = z.infer<typeof WorkResult>;
