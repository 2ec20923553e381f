/** The imports function's request and response shapes. */
import { z } from "zod";

const Kind = z.string().regex(
  /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/,
  "must be a kind of record, like compliance.contract",
);

export const UploadQuery = z.object({
  org_id: z.uuid(),
  kind: Kind,
  file_name: z.string().trim().min(1).max(255).default("import.csv"),
  delimiter: z.enum([",", ";", "\t", "|"]).default(",").describe("The separator of the file's cells"),
  encoding: z.enum(["utf-8", "utf-16le", "windows-1252", "iso-8859-1"]).default("utf-8")
    .describe("The file's character set (windows-1252 for a CSV Excel saved on Windows)"),
  storage_path: z.string().min(1).max(1024).optional()
    .describe("Import an object of the documents bucket you may read, instead of the body"),
}).strict();
export type UploadQuery = z.infer<typeof UploadQuery>;

const Mapping = z.record(
  z.string().min(1).max(200),
  z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a field name"),
)
  .refine((m) => Object.keys(m).length <= 200, "at most 200 columns")
  .describe("The file's column (its header) → the field it fills; columns not named are ignored");

export const StartRequest = z.object({
  mapping: Mapping.optional().describe("Default: the mapping saved with the import (suggested from the header)"),
  on_duplicate: z.enum(["skip", "update", "fail"]).default("skip")
    .describe("A line matching an existing row under the table's duplicate rules: skip it, update the row, or fail it"),
}).strict();
export type StartRequest = z.infer<typeof StartRequest>;

export const ImportId = z.object({ id: z.uuid() });

export const WorkRequest = z.object({
  max_seconds: z.number().int().min(1).max(50).default(40).describe("Stop taking new batches after this long"),
  batch_size: z.number().int().min(1).max(5000).default(1000),
}).strict();

export const Field = z.object({ name: z.string(), type: z.string(), required: z.boolean() });

export const Import = z.object({
  id: z.string(),
  org_id: z.string(),
  created_by: z.string().nullable(),
  kind: z.string(),
  file_name: z.string(),
  header: z.array(z.string()),
  mapping: z.record(z.string(), z.string()),
  on_duplicate: z.enum(["skip", "update", "fail"]),
  status: z.enum(["staged", "validating", "validated", "running", "completed", "cancelled", "reverting", "reverted"]),
  dry_run: z.boolean(),
  total_rows: z.number(),
  processed_rows: z.number(),
  created_rows: z.number(),
  updated_rows: z.number(),
  skipped_rows: z.number(),
  failed_rows: z.number(),
  reverted_rows: z.number(),
  kept_rows: z.number(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  reverted_at: z.string().nullable(),
  created_at: z.string(),
});
export type Import = z.infer<typeof Import>;

export const LineReport = z.object({
  line: z.number().describe("The line of the file (the header is line 1)"),
  status: z.string().describe("failed (not imported) or kept (left alone by a revert)"),
  field: z.string().nullable(),
  reason: z.string().nullable().describe(
    "validation, no_access, not_found, constraint, duplicate; changed for a revert",
  ),
  message: z.string().nullable(),
});

export const ImportAnswer = z.object({
  import: Import,
  fields: z.array(Field).optional().describe("The fields the caller may import into, for a mapping"),
  failures: z.array(LineReport).optional().describe("The first failed lines (all of them: GET /imports/{id}/errors)"),
});
export const WorkResult = z.object({
  batches: z.number(),
  lines: z.number(),
  failed: z.number().describe("Batches that failed as a whole (retried on the next run)"),
});
export type WorkResult = z.infer<typeof WorkResult>;
