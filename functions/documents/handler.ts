/**
 * documents: what a client should not do alone with documents in Storage.
 *
 *   POST /documents/:id/uploads                     { file_name, size_bytes, mime_type } → 201 { version, upload: { signed_url, token, path } }
 *   POST /documents/:id/uploads/:version_id/confirm { sha256 }                           → 200 { version }  (422 on a mismatch)
 *   POST /documents/:id/delete                                                            → 200 { document } (restorable until purge_after)
 *   POST /documents/:id/restore                                                           → 200 { document }
 *
 * Upload: the caller's right and the declared size and type are checked, the next version is
 * reserved, and Storage signs an upload URL for exactly its path. Confirm: the function reads the
 * stored file back, checks its SHA-256 against the client's and its size and type against the
 * declaration, then records it. Downloads go through supabase-js (storage.objects policies).
 */
import { z } from "zod";
import { authenticate } from "../_shared/auth.ts";
import { asCaller, callerRequest, type Tx } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { HttpError, notFound, unauthorized } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readJson, validate } from "../_shared/http.ts";
import { createRuntime, type Runtime } from "../_shared/runtime.ts";
import { sha256Bytes, type StorageClient, storageClient, StorageEnv } from "../_shared/storage.ts";

export const BUCKET = "documents";

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

const VERSION_COLUMNS = "id, document_id, version, storage_path, file_name, size_bytes, mime_type, sha256, status";
const DOCUMENT_COLUMNS = "id, org_id, title, owner_id, department_id, current_version, deleted_at, purge_after";

export interface DocumentsDeps extends Runtime {
  storage: StorageClient;
}

export function createDocumentsHandler(deps: DocumentsDeps): Handler {
  return createHandler(
    { name: "documents", methods: ["POST"], maxBodyBytes: 4096 },
    async (request, { url, requestId }) => {
      const claims = await authenticate(request, deps.verify);
      if (claims.role !== "authenticated") throw unauthorized("Cannot work on documents: sign in first");
      const segments = url.pathname.split("/").filter(Boolean);
      const at = segments.lastIndexOf("documents");
      const [rawId, action, rawVersion, confirm, ...rest] = segments.slice(at + 1);
      const id = validate(z.uuid(), rawId, "document id");
      const run = <T>(fn: (tx: Tx) => Promise<T>) => asCaller(deps.sql, claims, fn, callerRequest(request, requestId));

      if (action === "uploads" && rawVersion === undefined) {
        const body = await readJson(request, UploadRequest);
        const result = await run(async (tx) => {
          const [version] = await tx`select ${tx.unsafe(VERSION_COLUMNS)}
          from private.begin_document_upload(${id}, ${body.file_name}, ${body.size_bytes}, ${body.mime_type.toLowerCase()})`;
          // Signed inside the transaction: if Storage fails, the reserved version goes too.
          const upload = await deps.storage.signUpload(BUCKET, version!.storage_path);
          return {
            version: Version.parse(version),
            upload: { signed_url: upload.signedUrl, token: upload.token, path: version!.storage_path },
          };
        });
        return json(result, { status: 201 });
      }
      if (action === "uploads" && confirm === "confirm" && rest.length === 0) {
        const versionId = validate(z.uuid(), rawVersion, "version id");
        const { sha256 } = await readJson(request, ConfirmRequest);
        const [version] = await run((tx) =>
          tx`
        select ${
            tx.unsafe(VERSION_COLUMNS)
          } from public.document_versions where id = ${versionId} and document_id = ${id}`
        );
        if (!version) throw notFound(`Cannot confirm upload ${versionId}: no such upload of this document`);
        const bytes = await deps.storage.download(BUCKET, version.storage_path);
        const actual = await sha256Bytes(bytes);
        // Nothing unverified is confirmed: the stored bytes must be exactly as many as declared and
        // hash to the checksum the client sent (an empty or short body from Storage rejects the upload).
        const mismatch = bytes.byteLength !== Number(version.size_bytes)
          ? "size_mismatch"
          : actual !== sha256
          ? "checksum_mismatch"
          : null;
        const outcome = await run(async (tx) => {
          if (mismatch) {
            await tx`select private.reject_document_upload(${versionId}, ${mismatch})`;
            return mismatch;
          }
          const [row] = await tx`select private.confirm_document_upload(${versionId}, ${actual}) as outcome`;
          return row!.outcome as string;
        });
        if (outcome !== "uploaded") {
          throw new HttpError(422, "upload_rejected", `Cannot confirm the upload: ${outcome.replace("_", " ")}`, {
            reason: outcome,
          });
        }
        const [confirmed] = await run((tx) =>
          tx`select ${tx.unsafe(VERSION_COLUMNS)} from public.document_versions where id = ${versionId}`
        );
        return json({ version: Version.parse(confirmed) });
      }
      if ((action === "delete" || action === "restore") && rawVersion === undefined) {
        const [document] = await run((tx) =>
          action === "delete"
            ? tx`select ${tx.unsafe(DOCUMENT_COLUMNS)} from private.delete_document(${id})`
            : tx`select ${tx.unsafe(DOCUMENT_COLUMNS)} from private.restore_document(${id})`
        );
        return json({ document });
      }
      throw notFound(`Nothing is served at ${url.pathname}`);
    },
  );
}

export const DocumentsEnv = BaseEnv.extend(StorageEnv.shape);

function fromEnv(): DocumentsDeps {
  const env = readEnv(DocumentsEnv, runtimeEnv(), "function documents");
  return { ...createRuntime("documents"), storage: storageClient(env) };
}

export const handler: Handler = createDocumentsHandler(fromEnv());
