/** The documents function's request and response shapes. */
import { z } from "zod";

export const UploadRequest = z.object({
  file_name: z.string().min(1).max(200).regex(/^[^/\\\u0000-\u001f]+$/, "must be a file name, not a path").refine(
    (n) => n !== "." && n !== "..",
    "must be a file name",
  ),
  size_bytes: z.number().int().min(1).max(26_214_400),
  mime_type: z.string().min(3).max(255).regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i, "must be a MIME type"),
}).strict();
export const ConfirmRequest = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the file's SHA-256 in lowercase hex"),
}).strict();

export const DocumentId = z.object({ id: z.uuid() });
export const UploadId = z.object({ id: z.uuid(), version_id: z.uuid() });

export const Version = z.object({
  id: z.string(),
  document_id: z.string(),
  version: z.number(),
  storage_path: z.string(),
  file_name: z.string(),
  size_bytes: z.coerce.number(),
  mime_type: z.string(),
  sha256: z.string().nullable(),
  status: z.enum(["pending", "uploaded", "rejected"]),
});

export const UploadAnswer = z.object({
  version: Version,
  upload: z.object({
    signed_url: z.url().describe("PUT the file here (or use supabase-js uploadToSignedUrl with path and token)"),
    token: z.string(),
    path: z.string(),
  }),
});

export const Document = z.object({
  id: z.uuid(),
  org_id: z.uuid(),
  title: z.string(),
  owner_id: z.uuid().nullable(),
  department_id: z.uuid().nullable(),
  current_version: z.number().nullable(),
  deleted_at: z.iso.datetime({ offset: true }).nullable(),
  purge_after: z.iso.datetime({ offset: true }).nullable(),
});
