/**
 * The documents and documents-purge functions, against a local server that checks each Storage API
 * request as Supabase documents it. Upload → Storage (as the caller) → confirm by checksum;
 * mismatches are rejected; bad input and other tenants' ids answer 4xx and write nothing; a purge
 * that fails part-way loses nothing and succeeds on the next run.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { storageClient } from "../../functions/_shared/storage.ts";
import { documents } from "../../functions/documents/routes.ts";
import { purge, purger } from "../../functions/documents-purge/routes.ts";
import { apiKey, asUser, createUser, testDb, type TestUser, tokenFor, userClaims } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { startStorageServer, type StorageServer } from "../helpers/storage.ts";

const sql = testDb();
let storage: StorageServer;
let serviceKey: string;
let handle: (request: Request) => Promise<Response>;
let purgeHandle: (request: Request) => Promise<Response>;
let owner: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let org: string;
let otherDoc: string;

const pdf = new TextEncoder().encode("%PDF-1.7 Groundwork test document\n");
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function call(user: TestUser | null, path: string, body?: unknown, raw?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (user) headers.authorization = `Bearer ${await tokenFor(user)}`;
  return handle(
    new Request(`http://local/functions/v1/documents${path}`, {
      method: "POST",
      headers,
      body: raw ?? JSON.stringify(body ?? {}),
    }),
  );
}

async function newDocument(user: TestUser): Promise<string> {
  return asUser(sql, userClaims(user), async (tx) => {
    const [doc] = await tx`insert into public.documents (org_id, title) values (${org}, 'Contract') returning id`;
    return doc!.id as string;
  });
}

/** What the Storage server does for an upload: keep the bytes and insert the object as the caller. */
async function uploadAs(
  user: TestUser,
  path: string,
  bytes: Uint8Array,
  mimetype = "application/pdf",
  size = bytes.byteLength,
) {
  storage.objects.set(`documents/${path}`, bytes);
  await asUser(sql, userClaims(user), (tx) =>
    tx`
    insert into storage.objects (bucket_id, name, owner_id, metadata)
    values ('documents', ${path}, ${user.id}, ${sql.json({ size, mimetype })})`);
}

const versions = async (
  doc: string,
) => (await sql`select version, status::text from public.document_versions where document_id = ${doc} order by version`);

beforeAll(async () => {
  serviceKey = await apiKey("service_role");
  storage = await startStorageServer(serviceKey);
  const deps = {
    sql,
    verify: createVerifier({ secret: testEnv.jwtSecret }),
    storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }),
  };
  handle = documents.handler({ ...deps, env: {} as never });
  purgeHandle = purger.handler({ ...deps, secret: process.env.DISPATCH_SECRET! });
  [owner, viewer, stranger] = [await createUser(sql), await createUser(sql), await createUser(sql)];
  org =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Docs', ${`docs-${
      crypto.randomUUID().slice(0, 8)
    }`}, ${owner.id}) returning id`)[0]!.id;
  await sql`insert into public.members (org_id, user_id, role_id) select ${org}, ${viewer.id}, id from public.roles where org_id = ${org} and key = 'viewer'`;
  const otherOrg =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Other', ${`other-${
      crypto.randomUUID().slice(0, 8)
    }`}, ${stranger.id}) returning id`)[0]!.id;
  otherDoc =
    (await sql`insert into public.documents (org_id, title, owner_id) values (${otherOrg}, 'Secret', ${stranger.id}) returning id`)[
      0
    ]!.id;
});
afterAll(() => storage?.close());

describe("upload and confirm", () => {
  it("signs an upload for the next version, then records the file after checking its checksum, size and type", async () => {
    const doc = await newDocument(owner);
    const response = await call(owner, `/${doc}/uploads`, {
      file_name: "contract.pdf",
      size_bytes: pdf.byteLength,
      mime_type: "application/pdf",
    });
    expect(response.status).toBe(201);
    const { version, upload } = await response.json();
    expect(version).toMatchObject({ version: 1, status: "pending", storage_path: `${org}/${doc}/1/contract.pdf` });
    expect(upload.path).toBe(version.storage_path);
    expect(upload.signed_url).toContain(`/storage/v1/object/upload/sign/documents/${org}/${doc}/1/contract.pdf?token=`);
    expect(upload.token).toBeTruthy();

    await uploadAs(owner, version.storage_path, pdf);
    const confirmed = await call(owner, `/${doc}/uploads/${version.id}/confirm`, { sha256: sha(pdf) });
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json()).version).toMatchObject({ status: "uploaded", sha256: sha(pdf) });
    expect((await sql`select current_version, status from public.documents where id = ${doc}`)[0]).toEqual({
      current_version: 1,
      status: "active",
    });

    // A second version becomes current; the first stays readable.
    const next = (await (await call(owner, `/${doc}/uploads`, {
      file_name: "contract-v2.pdf",
      size_bytes: pdf.byteLength,
      mime_type: "application/pdf",
    })).json()).version;
    expect(next.version).toBe(2);
    await uploadAs(owner, next.storage_path, pdf);
    expect((await call(owner, `/${doc}/uploads/${next.id}/confirm`, { sha256: sha(pdf) })).status).toBe(200);
    expect((await sql`select current_version from public.documents where id = ${doc}`)[0]!.current_version).toBe(2);
    const readable = await asUser(
      sql,
      userClaims(owner),
      (tx) =>
        tx`select name from storage.objects where bucket_id = 'documents' and name like ${`${org}/${doc}/%`} order by name`,
    );
    expect(readable.map((o) => o.name)).toEqual([version.storage_path, next.storage_path]);
    expect(storage.violations).toEqual([]);
  });

  it("rejects an upload whose bytes do not match the checksum, or whose size or type differ from the declaration", async () => {
    const doc = await newDocument(owner);
    const reserve = async () =>
      (await (await call(owner, `/${doc}/uploads`, {
        file_name: "a.pdf",
        size_bytes: pdf.byteLength,
        mime_type: "application/pdf",
      })).json()).version;
    const first = await reserve();
    await uploadAs(owner, first.storage_path, pdf);
    const wrongSum = await call(owner, `/${doc}/uploads/${first.id}/confirm`, { sha256: "0".repeat(64) });
    expect(wrongSum.status).toBe(422);
    expect((await wrongSum.json()).error).toMatchObject({
      code: "upload_rejected",
      details: { reason: "checksum_mismatch" },
    });

    const second = await reserve();
    await uploadAs(owner, second.storage_path, pdf, "application/pdf", 5);
    expect(
      (await (await call(owner, `/${doc}/uploads/${second.id}/confirm`, { sha256: sha(pdf) })).json()).error.details
        .reason,
    ).toBe("size_mismatch");

    const third = await reserve();
    await uploadAs(owner, third.storage_path, pdf, "image/png");
    expect(
      (await (await call(owner, `/${doc}/uploads/${third.id}/confirm`, { sha256: sha(pdf) })).json()).error.details
        .reason,
    ).toBe("type_mismatch");

    expect(await versions(doc)).toEqual([{ version: 1, status: "rejected" }, { version: 2, status: "rejected" }, {
      version: 3,
      status: "rejected",
    }]);
    expect((await sql`select current_version from public.documents where id = ${doc}`)[0]!.current_version).toBe(0);
  });

  it("refuses to confirm what it cannot verify: an empty body from Storage rejects the upload", async () => {
    const doc = await newDocument(owner);
    const version = (await (await call(owner, `/${doc}/uploads`, {
      file_name: "a.pdf",
      size_bytes: pdf.byteLength,
      mime_type: "application/pdf",
    })).json()).version;
    await uploadAs(owner, version.storage_path, pdf);
    storage.emptyDownloads = true;
    try {
      const response = await call(owner, `/${doc}/uploads/${version.id}/confirm`, { sha256: sha(pdf) });
      expect(response.status).toBe(422);
      expect((await response.json()).error).toMatchObject({
        code: "upload_rejected",
        details: { reason: "size_mismatch" },
      });
    } finally {
      storage.emptyDownloads = false;
    }
    expect(await versions(doc)).toEqual([{ version: 1, status: "rejected" }]);
    expect((await sql`select current_version from public.documents where id = ${doc}`)[0]!.current_version).toBe(0);
  });

  it("deletes and restores a document", async () => {
    const doc = await newDocument(owner);
    const deleted = await call(owner, `/${doc}/delete`);
    expect(deleted.status).toBe(200);
    expect((await deleted.json()).document.deleted_at).toBeTruthy();
    expect(
      (await call(owner, `/${doc}/uploads`, { file_name: "x.pdf", size_bytes: 10, mime_type: "application/pdf" }))
        .status,
    ).toBe(409);
    expect((await (await call(owner, `/${doc}/restore`)).json()).document.deleted_at).toBeNull();
  });
});

describe("bad input answers a clear 4xx and writes nothing", () => {
  let doc: string;
  beforeAll(async () => {
    doc = await newDocument(owner);
  });
  const valid = { file_name: "ok.pdf", size_bytes: 100, mime_type: "application/pdf" };

  it.each([
    ["malformed JSON", null, undefined, "{ file_name: ", 400],
    ["a wrong type", null, { ...valid, size_bytes: "100" }, undefined, 422],
    ["a missing field", null, { file_name: "ok.pdf" }, undefined, 422],
    ["an oversize file", null, { ...valid, size_bytes: 30_000_000 }, undefined, 422],
    ["a path as file name", null, { ...valid, file_name: "../../etc/passwd" }, undefined, 422],
    ["a MIME type the bucket refuses", null, { ...valid, mime_type: "application/x-msdownload" }, undefined, 422],
    ["a body over the limit", null, undefined, JSON.stringify({ pad: "x".repeat(5000) }), 413],
  ])("%s → %i", async (_label, _unused, body, raw, status) => {
    const response = await call(owner, `/${doc}/uploads`, body, raw);
    expect(response.status).toBe(status);
    expect(await versions(doc)).toEqual([]);
  });

  it("another tenant's document, or one the caller may not write, → 404; no token or the anon key → 401", async () => {
    expect((await call(owner, `/${otherDoc}/uploads`, valid)).status).toBe(404);
    expect((await call(viewer, `/${doc}/uploads`, valid)).status).toBe(404);
    expect((await call(owner, `/not-a-uuid/uploads`, valid)).status).toBe(422);
    expect((await call(null, `/${doc}/uploads`, valid)).status).toBe(401);
    const anon = await handle(
      new Request(`http://local/functions/v1/documents/${doc}/uploads`, {
        method: "POST",
        headers: { authorization: `Bearer ${await apiKey("anon")}`, "content-type": "application/json" },
        body: JSON.stringify(valid),
      }),
    );
    expect(anon.status).toBe(401);
    expect(await versions(doc)).toEqual([]);
    expect(await versions(otherDoc)).toEqual([]);
  });

  it("Storage failing to sign → 502, and the reserved version is rolled back", async () => {
    storage.failWith = 503;
    try {
      const response = await call(owner, `/${doc}/uploads`, valid);
      expect(response.status).toBe(502);
      expect((await response.json()).error.code).toBe("storage_unavailable");
    } finally {
      storage.failWith = null;
    }
    expect(await versions(doc)).toEqual([]);
  });

  it("over HTTP on the native stack, where Storage is not running, upload signing answers 502 and writes nothing", async () => {
    const response = await fetch(`${testEnv.apiUrl}/functions/v1/documents/${doc}/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${await tokenFor(owner)}`, "content-type": "application/json" },
      body: JSON.stringify(valid),
    });
    expect(response.status).toBe(502);
    expect(await versions(doc)).toEqual([]);
  });
});

describe("documents-purge", () => {
  async function expiredDocument(): Promise<{ doc: string; paths: string[] }> {
    const doc = await newDocument(owner);
    const paths: string[] = [];
    for (const name of ["v1.pdf", "v2.pdf"]) {
      const { version } = await (await call(owner, `/${doc}/uploads`, {
        file_name: name,
        size_bytes: pdf.byteLength,
        mime_type: "application/pdf",
      })).json();
      await uploadAs(owner, version.storage_path, pdf);
      await call(owner, `/${doc}/uploads/${version.id}/confirm`, { sha256: sha(pdf) });
      paths.push(version.storage_path);
    }
    await call(owner, `/${doc}/delete`);
    await sql`update public.documents set purge_after = now() - interval '1 minute' where id = ${doc}`;
    return { doc, paths };
  }

  it("removes the objects through the Storage API, then the rows; a failing run loses nothing and the next one finishes", async () => {
    const { doc, paths } = await expiredDocument();
    const deps = { sql, storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }) };

    storage.failWith = 500;
    const failed = await purge(deps, 10);
    storage.failWith = null;
    expect(failed.failed).toBe(1);
    expect(await sql`select 1 from public.documents where id = ${doc}`).toHaveLength(1);
    expect(await versions(doc)).toHaveLength(2);

    storage.requests.length = 0;
    const done = await purge(deps, 10);
    expect(done.purged).toBeGreaterThanOrEqual(1);
    const removal = storage.requests.find((r) => r.method === "DELETE");
    expect(removal).toEqual({
      method: "DELETE",
      path: "/storage/v1/object/documents",
      body: { prefixes: expect.arrayContaining(paths) },
    });
    expect([...storage.objects.keys()].filter((k) => paths.some((p) => k.endsWith(p)))).toEqual([]);
    expect(await sql`select 1 from public.documents where id = ${doc}`).toHaveLength(0);
    expect(await sql`select 1 from public.document_versions where document_id = ${doc}`).toHaveLength(0);
    expect(storage.violations).toEqual([]);
  });

  it("is callable only with the service role or the scheduler secret", async () => {
    const post = (headers: Record<string, string>) =>
      purgeHandle(new Request("http://local/functions/v1/documents-purge", { method: "POST", headers }));
    expect((await post({})).status).toBe(401);
    expect((await post({ "x-dispatch-secret": "wrong-secret-that-is-long-enough-to-count" })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${await tokenFor(owner)}` })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${serviceKey}` })).status).toBe(200);
    expect((await post({ "x-dispatch-secret": process.env.DISPATCH_SECRET! })).status).toBe(200);
  });
});
