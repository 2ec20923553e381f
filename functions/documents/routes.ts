/**
 * documents: what a client should not do alone with documents in Storage.
 *
 * Upload: the caller's right and the declared size and type are checked, the next version is
 * reserved, and Storage signs an upload URL for exactly its path. Confirm: the function reads the
 * stored file back, checks its SHA-256 against the client's and its size and type against the
 * declaration, then records it. Downloads go through supabase-js (storage.objects policies).
 */
import { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { sha256Bytes, type StorageClient } from "../_shared/storage.ts";
import { ConfirmRequest, Document, DocumentId, UploadAnswer, UploadId, UploadRequest, Version } from "./schemas.ts";

export const BUCKET = "documents";

const VERSION_COLUMNS = "id, document_id, version, storage_path, file_name, size_bytes, mime_type, sha256, status";
const DOCUMENT_COLUMNS = "id, org_id, title, owner_id, department_id, current_version, deleted_at, purge_after";

export interface DocumentsDeps extends Runtime {
  storage: StorageClient;
}
type C = Ctx<DocumentsDeps>;
const DocumentAnswer = z.object({ document: Document });

export const routes = {
  beginUpload: defineRoute({
    name: "beginUpload",
    method: "post",
    path: "/{id}/uploads",
    summary: "Reserve the next version of a document and get a signed upload URL for it",
    access: "user",
    params: DocumentId,
    body: UploadRequest,
    responses: { 201: { description: "The reserved version and where to upload it", schema: UploadAnswer } },
  }),
  confirmUpload: defineRoute({
    name: "confirmUpload",
    method: "post",
    path: "/{id}/uploads/{version_id}/confirm",
    summary: "Confirm an upload: the stored bytes must match the declared size and the client's SHA-256",
    access: "user",
    params: UploadId,
    body: ConfirmRequest,
    responses: {
      200: { description: "The version, now uploaded", schema: z.object({ version: Version }) },
      422: { description: "The stored file does not match (upload_rejected: size_mismatch or checksum_mismatch)" },
    },
  }),
  deleteDocument: defineRoute({
    name: "deleteDocument",
    method: "post",
    path: "/{id}/delete",
    summary: "Delete a document (restorable until purge_after)",
    access: "user",
    params: DocumentId,
    responses: { 200: { description: "The deleted document", schema: DocumentAnswer } },
  }),
  restoreDocument: defineRoute({
    name: "restoreDocument",
    method: "post",
    path: "/{id}/restore",
    summary: "Restore a deleted document before its purge",
    access: "user",
    params: DocumentId,
    responses: { 200: { description: "The restored document", schema: DocumentAnswer } },
  }),
};

async function beginUpload(
  c: C,
  { params, body }: { params: z.output<typeof DocumentId>; body: z.output<typeof UploadRequest> },
): Promise<Response> {
  const result = await asRequestCaller(c, async (tx) => {
    const [version] = await tx`select ${tx.unsafe(VERSION_COLUMNS)}
      from private.begin_document_upload(${params.id}, ${body.file_name}, ${body.size_bytes}, ${body.mime_type.toLowerCase()})`;
    // Signed inside the transaction: if Storage fails, the reserved version goes too.
    const upload = await c.env.storage.signUpload(BUCKET, version!.storage_path);
    return {
      version: Version.parse(version),
      upload: { signed_url: upload.signedUrl, token: upload.token, path: version!.storage_path },
    };
  });
  return json(result, { status: 201 });
}

async function confirmUpload(
  c: C,
  { params, body }: { params: z.output<typeof UploadId>; body: z.output<typeof ConfirmRequest> },
): Promise<Response> {
  const [version] = await asRequestCaller(
    c,
    (tx) =>
      tx`select ${
        tx.unsafe(VERSION_COLUMNS)
      } from public.document_versions where id = ${params.version_id} and document_id = ${params.id}`,
  );
  if (!version) throw notFound(`Cannot confirm upload ${params.version_id}: no such upload of this document`);
  const bytes = await c.env.storage.download(BUCKET, version.storage_path);
  const actual = await sha256Bytes(bytes);
  // Nothing unverified is confirmed: the stored bytes must be exactly as many as declared and
  // hash to the checksum the client sent (an empty or short body from Storage rejects the upload).
  const mismatch = bytes.byteLength !== Number(version.size_bytes)
    ? "size_mismatch"
    : actual !== body.sha256
    ? "checksum_mismatch"
    : null;
  const outcome = await asRequestCaller(c, async (tx) => {
    if (mismatch) {
      await tx`select private.reject_document_upload(${params.version_id}, ${mismatch})`;
      return mismatch;
    }
    const [row] = await tx`select private.confirm_document_upload(${params.version_id}, ${actual}) as outcome`;
    return row!.outcome as string;
  });
  if (outcome !== "uploaded") {
    throw new HttpError(422, "upload_rejected", `Cannot confirm the upload: ${outcome.replace("_", " ")}`, {
      reason: outcome,
    });
  }
  const [confirmed] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(VERSION_COLUMNS)} from public.document_versions where id = ${params.version_id}`,
  );
  return json({ version: Version.parse(confirmed) });
}

async function deleteDocument(c: C, { params }: { params: z.output<typeof DocumentId> }): Promise<Response> {
  const [document] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(DOCUMENT_COLUMNS)} from private.delete_document(${params.id})`,
  );
  return json({ document });
}

async function restoreDocument(c: C, { params }: { params: z.output<typeof DocumentId> }): Promise<Response> {
  const [document] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(DOCUMENT_COLUMNS)} from private.restore_document(${params.id})`,
  );
  return json({ document });
}

export const documents = new FunctionApp<DocumentsDeps>({
  name: "documents",
  description: "Signed uploads checked against their SHA-256, and delete and restore of documents in Storage.",
  maxBodyBytes: 4096,
})
  .route(routes.beginUpload, beginUpload)
  .route(routes.confirmUpload, confirmUpload)
  .route(routes.deleteDocument, deleteDocument)
  .route(routes.restoreDocument, restoreDocument);
