/**
 * The Supabase Storage API, called with the service role's key as storage-js calls it:
 *   POST   /storage/v1/object/upload/sign/{bucket}/{path}   → { url } (a signed upload URL, with its token)
 *   GET    /storage/v1/object/{bucket}/{path}               → the object's bytes
 *   DELETE /storage/v1/object/{bucket}   { prefixes: [...] } → the removed objects
 *   POST   /storage/v1/object/{bucket}/{path}               ← the bytes (x-upsert: true), streamed
 *   POST   /storage/v1/object/sign/{bucket}/{path}   { expiresIn } → { signedURL } (a download link)
 */
import { z } from "zod";
import { HttpError } from "./errors.ts";

export const StorageEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20),
});
export type StorageEnv = z.infer<typeof StorageEnv>;

export interface StorageClient {
  signUpload(bucket: string, path: string): Promise<{ signedUrl: string; token: string }>;
  download(bucket: string, path: string): Promise<Uint8Array>;
  remove(bucket: string, paths: string[]): Promise<string[]>;
  /** Writes an object (replacing one at the same path) from bytes or a stream. */
  upload(
    bucket: string,
    path: string,
    body: ReadableStream<Uint8Array> | Uint8Array,
    contentType: string,
  ): Promise<void>;
  /** A link that downloads the object without credentials until it expires. */
  signDownload(bucket: string, path: string, expiresInSeconds: number): Promise<string>;
}

const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

function unavailable(what: string, detail: string): HttpError {
  return new HttpError(502, "storage_unavailable", `Cannot ${what}: Storage answered ${detail}`);
}

export function storageClient(env: StorageEnv, fetchImpl: typeof fetch = fetch): StorageClient {
  const base = new URL("/storage/v1/", env.SUPABASE_URL);
  const headers = { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`, apikey: env.SUPABASE_SERVICE_ROLE_KEY };
  return {
    async signUpload(bucket, path) {
      const response = await fetchImpl(new URL(`object/upload/sign/${bucket}/${encodePath(path)}`, base), {
        method: "POST",
        headers: { ...headers, "x-upsert": "false" },
      });
      const body = (await response.json().catch(() => ({}))) as { url?: string };
      if (!response.ok || !body.url) throw unavailable("sign the upload", `${response.status}`);
      const signed = new URL(`.${body.url.startsWith("/") ? body.url : `/${body.url}`}`, base);
      const token = signed.searchParams.get("token");
      if (!token) throw unavailable("sign the upload", "a URL without a token");
      return { signedUrl: signed.toString(), token };
    },
    async download(bucket, path) {
      const response = await fetchImpl(new URL(`object/${bucket}/${encodePath(path)}`, base), { headers });
      if (response.status === 404 || response.status === 400) return new Uint8Array();
      if (!response.ok) throw unavailable("read the file", `${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async upload(bucket, path, body, contentType) {
      const response = await fetchImpl(new URL(`object/${bucket}/${encodePath(path)}`, base), {
        method: "POST",
        headers: { ...headers, "content-type": contentType, "x-upsert": "true", "cache-control": "no-store" },
        body: body as BodyInit,
        ...(body instanceof Uint8Array ? {} : { duplex: "half" }),
      } as RequestInit);
      await response.body?.cancel();
      if (!response.ok) throw unavailable("write the file", `${response.status}`);
    },
    async signDownload(bucket, path, expiresInSeconds) {
      const response = await fetchImpl(new URL(`object/sign/${bucket}/${encodePath(path)}`, base), {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ expiresIn: expiresInSeconds }),
      });
      const body = (await response.json().catch(() => ({}))) as { signedURL?: string };
      if (!response.ok || !body.signedURL) throw unavailable("sign the download", `${response.status}`);
      return new URL(`.${body.signedURL.startsWith("/") ? body.signedURL : `/${body.signedURL}`}`, base).toString();
    },
    async remove(bucket, paths) {
      if (paths.length === 0) return [];
      const response = await fetchImpl(new URL(`object/${bucket}`, base), {
        method: "DELETE",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ prefixes: paths }),
      });
      if (!response.ok) throw unavailable("remove files", `${response.status}`);
      const removed = (await response.json().catch(() => [])) as { name?: string }[];
      return removed.map((o) => o.name ?? "").filter(Boolean);
    },
  };
}

/** SHA-256 of bytes, as lowercase hex. */
export async function sha256Bytes(bytes: Uint8Array): Promise<string> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const digest = await crypto.subtle.digest("SHA-256", copy.buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
