/**
 * The imports function over HTTP (its handler, called with Requests, against the real database):
 * upload → suggested mapping → dry run (nothing written) → import as the caller (RLS, constraints,
 * duplicates by the declared rule) → failed lines with line, field and reason, as CSV with formula
 * cells neutralised → revert leaving changed rows alone. The job resumes after its connection dies
 * mid-batch and two workers never apply a line twice. Bad input answers a clear 4xx and stages
 * nothing.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { storageClient } from "../../functions/_shared/storage.ts";
import { imports, MAX_FILE_BYTES, workImports } from "../../functions/imports/routes.ts";
import { bin, root } from "../../scripts/lib/paths.ts";
import { apiKey, asUser, createUser, testDb, type TestUser, tokenFor, userClaims } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { startStorageServer, type StorageServer } from "../helpers/storage.ts";

const sql = testDb();
let storage: StorageServer;
let handle: (request: Request) => Promise<Response>;
let owner: TestUser;
let viewer: TestUser;
let admin: TestUser;
let stranger: TestUser;
let org: string;
let otherOrg: string;

const SECRET = "imports-test-secret-imports-test-secret";
const fields = "Reference,Title,Start date,Value,Currency";

async function call(
  user: TestUser | null,
  path: string,
  init: { method?: string; body?: BodyInit; type?: string; query?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.type) headers["content-type"] = init.type;
  if (user) headers.authorization = `Bearer ${await tokenFor(user)}`;
  const query = init.query ? `?${new URLSearchParams(init.query)}` : "";
  return handle(
    new Request(`http://local/functions/v1/imports${path}${query}`, {
      method: init.method ?? "POST",
      headers,
      body: init.body,
    }),
  );
}

const upload = (user: TestUser, csv: BodyInit, query: Record<string, string> = {}) =>
  call(user, "", { body: csv, type: "text/csv", query: { org_id: org, kind: "compliance.contract", ...query } });

const json = (path: string, user: TestUser, body: unknown = {}) =>
  call(user, path, { body: JSON.stringify(body), type: "application/json" });

const contracts = async (prefix: string) =>
  Number(
    (await sql`select count(*) from compliance.contracts where org_id = ${org} and reference like ${`${prefix}%`}`)[0]!
      .count,
  );
const importCount = async () =>
  Number((await sql`select count(*) from public.imports where org_id = ${org}`)[0]!.count);

async function newOrg(user: TestUser, name: string): Promise<string> {
  return (await sql`insert into public.organizations (name, slug, created_by) values (${name}, ${`${name.toLowerCase()}-${
    crypto.randomUUID().slice(0, 8)
  }`}, ${user.id}) returning id`)[0]!.id as string;
}

beforeAll(async () => {
  const serviceKey = await apiKey("service_role");
  storage = await startStorageServer(serviceKey);
  handle = imports.handler({
    sql,
    verify: createVerifier({ secret: testEnv.jwtSecret }),
    storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }),
    secret: SECRET,
    env: {} as never,
  });
  [owner, viewer, admin, stranger] = [
    await createUser(sql),
    await createUser(sql),
    await createUser(sql),
    await createUser(sql),
  ];
  org = await newOrg(owner, "Imports");
  otherOrg = await newOrg(stranger, "Other");
  for (const [user, role] of [[viewer, "viewer"], [admin, "admin"]] as const) {
    await sql`insert into public.members (org_id, user_id, role_id) select ${org}, ${user.id}, id from public.roles where org_id = ${org} and key = ${role}`;
  }
  await asUser(
    sql,
    userClaims(owner),
    (tx) =>
      tx`insert into compliance.contracts (org_id, reference, title, start_date) values (${org}, 'OLD-1', 'Existing', current_date)`,
  );
});
afterAll(() => storage?.close());

describe("upload, dry run, import, errors, revert", () => {
  it("stages the file with a suggested mapping, checks it without writing, imports it, lists failures and reverts", async () => {
    const csv = [
      fields,
      "IMP-1,Supply,2026-01-01,100.50,USD",
      "IMP-2,Bad date,someday,,",
      "IMP-3,Unknown currency,2026-01-01,12,XXX",
      "OLD-1,A duplicate of an existing contract,2026-01-01,,",
      "IMP-4,Too short",
      '"=HYPERLINK(""http://evil"")",Formula reference,2026-01-01,,',
      "IMP-5,Lease,2026-02-01,,",
      "IMP-1,Duplicate within the file,2026-03-01,,",
    ].join("\r\n");
    const staged = await upload(owner, csv, { file_name: "contracts.csv" });
    expect(staged.status).toBe(201);
    const answer = await staged.json();
    expect(answer.import).toMatchObject({
      status: "staged",
      total_rows: 8,
      header: fields.split(","),
      file_name: "contracts.csv",
    });
    expect(answer.import.mapping).toEqual({
      Reference: "reference",
      Title: "title",
      "Start date": "start_date",
      Value: "value",
      Currency: "currency",
    });
    expect(answer.fields.map((f: { name: string }) => f.name)).toContain("start_date");
    const id = answer.import.id as string;
    const mapping = {
      Reference: "reference",
      Title: "title",
      "Start date": "start_date",
      Value: "value",
      Currency: "currency",
    };

    // Without start_date mapped, the mapping is refused: start_date is required.
    const unmapped = await json(`/${id}/dry-run`, owner, { mapping: { Reference: "reference", Title: "title" } });
    expect(unmapped.status).toBe(422);
    expect((await unmapped.json()).error.message).toContain("start_date is required and not mapped");

    const dry = await json(`/${id}/dry-run`, owner, { mapping });
    expect(dry.status).toBe(200);
    const checked = await dry.json();
    expect(checked.import).toMatchObject({
      status: "validated",
      dry_run: true,
      processed_rows: 8,
      created_rows: 2,
      skipped_rows: 2,
      failed_rows: 4,
    });
    expect(await contracts("IMP-")).toBe(0);

    const started = await json(`/${id}/start`, owner, { on_duplicate: "skip" });
    expect(started.status).toBe(200);
    const done = await started.json();
    expect(done.import).toMatchObject({
      status: "completed",
      dry_run: false,
      processed_rows: 8,
      created_rows: 2,
      skipped_rows: 2,
      failed_rows: 4,
    });
    expect(done.failures).toEqual([
      expect.objectContaining({ line: 3, status: "failed", field: "start_date", reason: "validation" }),
      expect.objectContaining({ line: 4, field: "currency", reason: "not_found" }),
      expect.objectContaining({
        line: 6,
        field: null,
        reason: "validation",
        message: "The line has 2 cells; the header has 5",
      }),
      expect.objectContaining({ line: 7, field: "reference", reason: "validation" }),
    ]);
    expect(await contracts("IMP-")).toBe(2);
    const [written] =
      await sql`select title, value, currency, owner_id from compliance.contracts where org_id = ${org} and reference = 'IMP-1'`;
    expect(written).toMatchObject({ title: "Supply", value: "100.50", currency: "USD", owner_id: owner.id });
    // Audited as the owner's insert, like any other.
    const audited =
      await sql`select actor_id from audit.log where table_name = 'contracts' and operation = 'INSERT' and record_id = (
      select id::text from compliance.contracts where org_id = ${org} and reference = 'IMP-5')`;
    expect(audited.map((a) => a.actor_id)).toEqual([owner.id]);

    const errors = await call(owner, `/${id}/errors`, { method: "GET" });
    expect(errors.status).toBe(200);
    expect(errors.headers.get("content-type")).toContain("text/csv");
    const text = await errors.text();
    expect(text.split("\n")[0]).toBe(`line,field,reason,message,${fields}`);
    expect(text).toContain(`7,reference,validation,`);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).not.toMatch(/,"?=HYPERLINK/);

    // Someone edits IMP-5; the revert leaves it and trashes IMP-1.
    await asUser(
      sql,
      userClaims(owner),
      (tx) =>
        tx`update compliance.contracts set title = 'Lease (edited)' where org_id = ${org} and reference = 'IMP-5'`,
    );
    const reverted = await json(`/${id}/revert`, owner);
    expect(reverted.status).toBe(200);
    const after = await reverted.json();
    expect(after.import).toMatchObject({ status: "reverted", reverted_rows: 1, kept_rows: 1 });
    expect(after.failures).toContainEqual(expect.objectContaining({ status: "kept", reason: "changed" }));
    const left =
      await sql`select reference, deleted_at is not null as trashed from compliance.contracts where org_id = ${org} and reference like 'IMP-%' order by reference`;
    expect(left).toEqual([{ reference: "IMP-1", trashed: true }, { reference: "IMP-5", trashed: false }]);
    expect((await json(`/${id}/revert`, owner)).status).toBe(409);
  });

  it("updates duplicates when asked, or fails them with reason duplicate", async () => {
    const csv = `${fields}\nOLD-1,Existing (renamed),2026-01-01,,\n`;
    const mapping = { Reference: "reference", Title: "title", "Start date": "start_date" };
    const failing = (await (await upload(owner, csv)).json()).import.id;
    const failed = await (await json(`/${failing}/start`, owner, { mapping, on_duplicate: "fail" })).json();
    expect(failed.failures).toEqual([expect.objectContaining({ line: 2, reason: "duplicate" })]);
    const updating = (await (await upload(owner, csv)).json()).import.id;
    const updated = await (await json(`/${updating}/start`, owner, { mapping, on_duplicate: "update" })).json();
    expect(updated.import).toMatchObject({ status: "completed", updated_rows: 1, created_rows: 0 });
    expect((await sql`select title from compliance.contracts where org_id = ${org} and reference = 'OLD-1'`)[0]!.title)
      .toBe(
        "Existing (renamed)",
      );
  });

  it("imports as the caller: a viewer's lines fail with no_access, and only who may read an import sees it", async () => {
    const id = (await (await upload(viewer, `${fields}\nVIEW-1,Viewer's,2026-01-01,,\n`)).json()).import.id;
    const answer = await (await json(`/${id}/start`, viewer, {
      mapping: { Reference: "reference", Title: "title", "Start date": "start_date" },
    })).json();
    expect(answer.import).toMatchObject({ status: "completed", failed_rows: 1, created_rows: 0 });
    expect(answer.failures[0]).toMatchObject({ line: 2, reason: "no_access" });
    expect(await contracts("VIEW-")).toBe(0);
    // The admin (core.imports.read at org scope) sees it; the stranger does not; the owner (own scope) neither.
    expect((await call(admin, `/${id}`, { method: "GET" })).status).toBe(200);
    expect((await call(stranger, `/${id}`, { method: "GET" })).status).toBe(404);
    expect((await call(owner, `/${id}`, { method: "GET" })).status).toBe(200);
    expect((await call(stranger, `/${id}/errors`, { method: "GET" })).status).toBe(404);
    // Progress is on a table Realtime publishes.
    const published =
      await sql`select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'imports'`;
    expect(published.length).toBe(1);
  });

  it("imports a file from the documents bucket that the caller may read", async () => {
    const bytes = new TextEncoder().encode(`${fields}\nDOC-1,From storage,2026-01-01,,\n`);
    const [doc] =
      await sql`insert into public.documents (org_id, title, owner_id) values (${org}, 'Import file', ${owner.id}) returning id`;
    const path = `${org}/${doc!.id}/1/contracts.csv`;
    await sql`insert into public.document_versions (document_id, org_id, version, storage_path, file_name, size_bytes, mime_type, sha256, status, uploaded_by, uploaded_at)
      values (${doc!.id}, ${org}, 1, ${path}, 'contracts.csv', ${bytes.byteLength}, 'text/csv',
              ${createHash("sha256").update(bytes).digest("hex")}, 'uploaded', ${owner.id}, now())`;
    await sql`insert into storage.objects (bucket_id, name, owner_id, metadata) values ('documents', ${path}, ${owner.id}, ${
      sql.json({
        size: bytes.byteLength,
        mimetype: "text/csv",
      })
    })`;
    storage.objects.set(`documents/${path}`, bytes);
    const staged = await call(owner, "", { query: { org_id: org, kind: "compliance.contract", storage_path: path } });
    expect(staged.status).toBe(201);
    expect((await staged.json()).import.total_rows).toBe(1);
    const missing = await call(owner, "", {
      query: { org_id: org, kind: "compliance.contract", storage_path: `${org}/nope.csv` },
    });
    expect(missing.status).toBe(404);
    expect(storage.violations).toEqual([]);
  });
});

describe("the job", () => {
  async function queued(lines: number, prefix: string): Promise<string> {
    const rows = Array.from({ length: lines }, (_, i) => `${prefix}-${i + 1},Row ${i + 1},2026-01-01,,`);
    const id = (await (await upload(owner, [fields, ...rows].join("\n"))).json()).import.id as string;
    await asUser(
      sql,
      userClaims(owner),
      (tx) =>
        tx`select private.start_import(${id}, ${
          tx.json({ Reference: "reference", Title: "title", "Start date": "start_date" })
        }, 'skip', false)`,
    );
    return id;
  }

  it("resumes from the last committed batch after its connection dies mid-batch", async () => {
    const id = await queued(2500, "CRASH");
    expect(await workImports(sql, { maxMs: 1, batchSize: 1000, importId: id })).toMatchObject({
      batches: 1,
      lines: 1000,
    });
    // A worker process claims the next batch, applies it, and is killed before the commit.
    const child = spawn(bin("tsx"), [
      join(root, "tests", "helpers", "crash-load.ts"),
      "import-batch",
      testEnv.dbUrl,
      id,
      "1000",
    ], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => line === "applied" && resolve());
      child.on("exit", (code) => reject(new Error(`the worker exited (${code}) before applying its batch`)));
    });
    process.kill(-child.pid!, "SIGKILL"); // tsx and the node process it runs
    // The server ends the dead client's transaction (rolling its batch back) once it sees the socket close.
    for (let i = 0; i < 100; i++) {
      const [held] =
        await sql`select count(*)::int as n from pg_stat_activity where state like 'idle in transaction%' and datname = current_database()
        and query like '%run_import_batch%'`;
      if (held!.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await sql`select processed_rows, status::text from public.imports where id = ${id}`)[0]).toEqual({
      processed_rows: 1000,
      status: "running",
    });
    expect(await contracts("CRASH-")).toBe(1000);
    await workImports(sql, { maxMs: 30_000, batchSize: 1000, importId: id });
    expect((await sql`select processed_rows, created_rows, status::text from public.imports where id = ${id}`)[0])
      .toEqual({
        processed_rows: 2500,
        created_rows: 2500,
        status: "completed",
      });
    expect(await contracts("CRASH-")).toBe(2500);
  });

  it("never applies a line twice when workers run side by side", async () => {
    const id = await queued(3000, "PAIR");
    const [a, b] = await Promise.all([
      workImports(sql, { maxMs: 30_000, batchSize: 500, importId: id }),
      workImports(sql, { maxMs: 30_000, batchSize: 500, importId: id }),
    ]);
    expect(a.lines + b.lines).toBe(3000);
    expect(await contracts("PAIR-")).toBe(3000);
    expect((await sql`select created_rows from public.imports where id = ${id}`)[0]!.created_rows).toBe(3000);
  });

  it("runs for the scheduler only with its secret", async () => {
    const work = (headers: Record<string, string>) =>
      handle(new Request("http://local/functions/v1/imports/work", { method: "POST", headers, body: "{}" }));
    expect((await work({ "content-type": "application/json" })).status).toBe(401);
    expect((await work({ "content-type": "application/json", "x-dispatch-secret": "wrong" })).status).toBe(401);
    const ran = await work({ "content-type": "application/json", "x-dispatch-secret": SECRET });
    expect(ran.status).toBe(200);
    expect(await ran.json()).toMatchObject({ failed: 0 });
  });
});

describe("bad input answers a clear 4xx and stages nothing", () => {
  it("refuses files it cannot read", async () => {
    const before = await importCount();
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode(`${fields}\nENC-1,Caf`),
      0xe9,
      ...new TextEncoder().encode(",2026-01-01,,\n"),
    ]);
    const cases: [BodyInit, Record<string, string>, number, string][] = [
      [latin1, {}, 422, "invalid_encoding"],
      [`${fields}\nA,"unclosed,2026-01-01,,\n`, {}, 422, "invalid_csv"],
      [`${fields}\nA,B\u0000,2026-01-01,,\n`, {}, 422, "validation_failed"],
      ["", {}, 422, "validation_failed"],
      [`${fields}\n`, {}, 422, "validation_failed"],
      ["Reference,Reference\nA,B\n", {}, 422, "validation_failed"],
      [`${fields}\nA,B,2026-01-01,,\n`, { kind: "compliance.nothing" }, 422, "validation_failed"],
      [`${fields}\nA,B,2026-01-01,,\n`, { org_id: "not-a-uuid" }, 422, "validation_failed"],
      [`${fields}\nA,B,2026-01-01,,\n`, { org_id: otherOrg }, 403, "forbidden"],
      [`${fields}\nA,B,2026-01-01,,\n`, { encoding: "ebcdic" }, 422, "validation_failed"],
    ];
    for (const [body, query, status, code] of cases) {
      const response = await upload(owner, body, query);
      expect({ query, status: response.status, code: (await response.json()).error?.code }).toEqual({
        query,
        status,
        code,
      });
    }
    // The same Latin-1 file, named as windows-1252, is read.
    const named = await upload(owner, latin1, { encoding: "windows-1252" });
    expect(named.status).toBe(201);
    const id = (await named.json()).import.id;
    expect((await sql`select cells from private.import_lines where import_id = ${id}`)[0]!.cells[1]).toBe("Café");
    expect(await importCount()).toBe(before + 1);
  });

  it("refuses a 50 MB file, a JSON body and a missing token", async () => {
    const before = await importCount();
    const big = new Uint8Array(50 * 1024 * 1024).fill(0x41);
    const tooBig = await upload(owner, big);
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.details).toEqual({ max_bytes: MAX_FILE_BYTES });
    const asJson = await call(owner, "", {
      body: "{}",
      type: "application/json",
      query: { org_id: org, kind: "compliance.contract" },
    });
    expect(asJson.status).toBe(415);
    expect(
      (await call(null, "", { body: "a", type: "text/csv", query: { org_id: org, kind: "compliance.contract" } }))
        .status,
    ).toBe(401);
    expect(await importCount()).toBe(before);
  });

  it("refuses bad start requests and other people's imports, changing nothing", async () => {
    const id = (await (await upload(owner, `${fields}\nBAD-1,Row,2026-01-01,,\n`)).json()).import.id;
    const cases: [string, TestUser, string, number][] = [
      [`/${id}/start`, owner, "{not json", 400],
      [`/${id}/start`, owner, JSON.stringify({ mapping: { Reference: 5 } }), 422],
      [
        `/${id}/start`,
        owner,
        JSON.stringify({ mapping: { Reference: "reference", Title: "owner_id; drop table x" } }),
        422,
      ],
      [
        `/${id}/start`,
        owner,
        JSON.stringify({
          mapping: { Reference: "reference", Title: "title", "Start date": "start_date" },
          on_duplicate: "merge",
        }),
        422,
      ],
      [
        `/${id}/start`,
        owner,
        JSON.stringify({ mapping: { Nope: "reference", Title: "title", "Start date": "start_date" } }),
        422,
      ],
      [`/${id}/start`, owner, JSON.stringify({ mapping: { Reference: "reference", Title: "title\u0000" } }), 422],
      [`/${id}/start`, stranger, JSON.stringify({}), 404],
      [
        `/${id}/start`,
        admin,
        JSON.stringify({ mapping: { Reference: "reference", Title: "title", "Start date": "start_date" } }),
        403,
      ],
      [`/${id}/revert`, stranger, "", 404],
      [`/${id}/cancel`, stranger, "", 404],
      [`/${crypto.randomUUID()}/start`, owner, JSON.stringify({}), 404],
      [`/not-a-uuid/start`, owner, JSON.stringify({}), 422],
    ];
    for (const [path, user, body, status] of cases) {
      const response = await call(user, path, { body: body || undefined, type: "application/json" });
      expect({ path, body, status: response.status }).toEqual({ path, body, status });
    }
    expect((await sql`select status::text from public.imports where id = ${id}`)[0]!.status).toBe("staged");
    expect(await contracts("BAD-")).toBe(0);
    const cancelled = await call(owner, `/${id}/cancel`);
    expect((await cancelled.json()).import.status).toBe("cancelled");
    expect((await json(`/${id}/start`, owner, {})).status).toBe(409);
  });
});
