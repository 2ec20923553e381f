/**
 * The exports function over HTTP (its handler, called with Requests, against the real database):
 * CSV, JSON and XLSX of a kind or a saved view, read as the caller (RLS, the trash and other
 * organizations decide what is in the file), formula cells neutralised, every export recorded and
 * audited; a Storage export is written by the job, announced by a notification with a signed link
 * in the transaction that finishes it; bad input answers a clear 4xx and records nothing.
 */
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { storageClient } from "../../functions/_shared/storage.ts";
import { exportsApp, workExports } from "../../functions/exports/routes.ts";
import { apiKey, asUser, createUser, testDb, type TestUser, tokenFor, userClaims } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { startStorageServer, type StorageServer } from "../helpers/storage.ts";

const sql = testDb();
let storage: StorageServer;
let handle: (request: Request) => Promise<Response>;
let owner: TestUser;
let member: TestUser;
let stranger: TestUser;
let org: string;
let otherOrg: string;
let serviceKey: string;

async function post(user: TestUser | null, body: unknown, raw?: string, path = ""): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (user) headers.authorization = `Bearer ${await tokenFor(user)}`;
  return handle(
    new Request(`http://local/functions/v1/exports${path}`, {
      method: "POST",
      headers,
      body: raw ?? JSON.stringify(body),
    }),
  );
}
async function get(user: TestUser, path: string): Promise<Response> {
  return handle(
    new Request(`http://local/functions/v1/exports${path}`, {
      headers: { authorization: `Bearer ${await tokenFor(user)}` },
    }),
  );
}
const exportCount = async () =>
  Number((await sql`select count(*) from public.exports where org_id = ${org}`)[0]!.count);

async function newOrg(user: TestUser, name: string): Promise<string> {
  return (await sql`insert into public.organizations (name, slug, created_by) values (${name}, ${`${name.toLowerCase()}-${
    crypto.randomUUID().slice(0, 8)
  }`}, ${user.id}) returning id`)[0]!.id as string;
}

beforeAll(async () => {
  serviceKey = await apiKey("service_role");
  storage = await startStorageServer(serviceKey);
  handle = exportsApp.handler({
    sql,
    verify: createVerifier({ secret: testEnv.jwtSecret }),
    storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }),
    secret: "exports-test-secret-exports-test-secret",
    env: {} as never,
  });
  [owner, member, stranger] = [await createUser(sql), await createUser(sql), await createUser(sql)];
  org = await newOrg(owner, "Exports");
  otherOrg = await newOrg(stranger, "Elsewhere");
  await sql`insert into public.members (org_id, user_id, role_id) select ${org}, ${member.id}, id from public.roles where org_id = ${org} and key = 'member'`;
  await asUser(sql, userClaims(owner), async (tx) => {
    await tx`insert into compliance.contracts (org_id, reference, title, start_date, value, currency)
      select ${org}, 'EXP-' || lpad(i::text, 4, '0'), 'Contract ' || i, date '2026-01-01' + i, i * 10, 'USD' from generate_series(1, 1200) i`;
    await tx`insert into compliance.contracts (org_id, reference, title, start_date) values (${org}, 'EXP-EVIL', '=cmd|'' /C calc''!A0', '2026-01-01')`;
    const [trashed] =
      await tx`insert into compliance.contracts (org_id, reference, title, start_date) values (${org}, 'EXP-GONE', 'Trashed', '2026-01-01') returning id`;
    await tx`select public.trash_record('compliance.contract', ${trashed!.id})`;
  });
  await asUser(
    sql,
    userClaims(member),
    (tx) =>
      tx`insert into compliance.contracts (org_id, reference, title, start_date) values (${org}, 'MINE-1', 'The member''s own', '2026-01-01')`,
  );
  await asUser(
    sql,
    userClaims(stranger),
    (tx) =>
      tx`insert into compliance.contracts (org_id, reference, title, start_date) values (${otherOrg}, 'EXP-THEIRS', 'Another tenant', '2026-01-01')`,
  );
});
afterAll(() => storage?.close());

describe("downloads", () => {
  it("streams every contract the caller may read as CSV, page after page, formulas neutralised, recorded and audited", async () => {
    const response = await post(owner, {
      org_id: org,
      kind: "compliance.contract",
      columns: ["reference", "title", "value"],
      filter: { sort: [{ field: "reference", dir: "asc" }] },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="compliance-contract-.*\.csv"/);
    const id = response.headers.get("x-export-id")!;
    // A browser may read the file's name and its record's id.
    expect(response.headers.get("access-control-expose-headers")).toContain("content-disposition, x-export-id");
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe("reference,title,value");
    expect(lines.length).toBe(1 + 1200 + 1 + 1); // the 1,200, the formula one and the member's own
    expect(lines[1]).toBe("EXP-0001,Contract 1,10");
    expect(lines).toContain(`EXP-EVIL,'=cmd|' /C calc'!A0,`);
    expect(lines.join("\n")).not.toMatch(/EXP-GONE|EXP-THEIRS/);
    const [recorded] =
      await sql`select status, row_count, byte_size, delivery, created_by from public.exports where id = ${id}`;
    expect(recorded).toMatchObject({
      status: "completed",
      row_count: 1202,
      delivery: "download",
      created_by: owner.id,
    });
    expect(Number(recorded!.byte_size)).toBeGreaterThan(20_000);
    const audit =
      await sql`select operation from audit.log where table_name = 'exports' and record_id = ${id} order by id`;
    expect(audit.map((a) => a.operation)).toEqual(["INSERT", "UPDATE"]);
  });

  it("exports as the caller: a member with own scope gets their own contracts only", async () => {
    const response = await post(member, {
      org_id: org,
      kind: "compliance.contract",
      format: "json",
      columns: ["reference"],
    });
    expect(response.status).toBe(200);
    const rows = await response.json();
    expect(rows).toEqual([{ reference: "MINE-1" }]);
  });

  it("writes JSON and XLSX, and runs a saved view with its filter and columns", async () => {
    const [view] = await asUser(
      sql,
      userClaims(owner),
      (tx) =>
        tx`insert into public.saved_views (org_id, kind, name, filter, columns, sharing)
         values (${org}, 'compliance.contract', 'Big ones', ${
          tx.json({ where: { field: "value", op: "gte", value: 11900 }, sort: [{ field: "start_date", dir: "desc" }] })
        },
                 '{reference,value}', 'org') returning id`,
    );
    const asJson = await post(member, { org_id: org, view_id: view!.id, format: "json" });
    expect(await asJson.json()).toEqual([]); // the member reads none of them: RLS decides
    const asXlsx = await post(owner, { org_id: org, view_id: view!.id, format: "xlsx" });
    expect(asXlsx.status).toBe(200);
    expect(asXlsx.headers.get("content-type")).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await asXlsx.arrayBuffer());
    const sheet = book.getWorksheet("Export")!;
    expect(sheet.getRow(1).values).toEqual([undefined, "reference", "value"]);
    expect(sheet.getRow(2).values).toEqual([undefined, "EXP-1200", 12000]);
    expect(sheet.getRow(3).values).toEqual([undefined, "EXP-1199", 11990]);
    expect(sheet.rowCount).toBe(1 + 11);

    const evil = await post(owner, {
      org_id: org,
      kind: "compliance.contract",
      format: "xlsx",
      columns: ["title"],
      filter: { where: { field: "reference", op: "eq", value: "EXP-EVIL" } },
    });
    const evilBook = new ExcelJS.Workbook();
    await evilBook.xlsx.load(await evil.arrayBuffer());
    expect(evilBook.getWorksheet("Export")!.getRow(2).getCell(1).value).toBe(`'=cmd|' /C calc'!A0`);
  });
});

describe("exports to Storage", () => {
  it("queues the export, the job writes the file and notifies its maker with a signed link, in one transaction", async () => {
    const queued = await post(owner, { org_id: org, kind: "compliance.contract", format: "csv", delivery: "storage" });
    expect(queued.status).toBe(202);
    const { export: record } = await queued.json();
    expect(record).toMatchObject({ status: "queued", delivery: "storage", row_count: 0 });

    const result = await workExports({
      sql,
      storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }),
    }, { maxMs: 30_000 });
    expect(result).toMatchObject({ exports: 1, rows: 1202, failed: 0 });
    const path = `exports/${org}/${record.id}.csv`;
    expect(storage.uploads).toContainEqual({ path, type: "text/csv; charset=utf-8", upsert: true });
    const text = new TextDecoder().decode(storage.objects.get(path));
    expect(text.split("\n")[0]).toContain("reference");
    expect(text).toContain("'=cmd|");
    const [note] =
      await sql`select title, link, data from public.notifications where user_id = ${owner.id} and type = 'core.export_ready'`;
    expect(note!.title).toBe("Your export of 1202 records (compliance.contract) is ready");
    expect(note!.link).toContain(`/storage/v1/object/sign/exports/${org}/${record.id}.csv?token=`);
    expect(note!.data).toMatchObject({ export_id: record.id, rows: 1202 });

    const fetched = await (await get(owner, `/${record.id}`)).json();
    expect(fetched.export).toMatchObject({ status: "completed", row_count: 1202 });
    expect(fetched.download_url).toContain("/storage/v1/object/sign/exports/");
    expect((await get(stranger, `/${record.id}`)).status).toBe(404);
    expect((await get(member, `/${record.id}`)).status).toBe(404);
    expect(storage.violations).toEqual([]);
  });

  it("closes a job as failed, and tells its maker, when Storage refuses the file", async () => {
    const { export: record } =
      await (await post(member, { org_id: org, kind: "compliance.contract", delivery: "storage" })).json();
    storage.failWith = 503;
    try {
      const result = await workExports({
        sql,
        storage: storageClient({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: serviceKey }),
      }, { maxMs: 2_000 });
      expect(result.failed).toBeGreaterThanOrEqual(1);
    } finally {
      storage.failWith = null;
    }
    const [closed] = await sql`select status, error from public.exports where id = ${record.id}`;
    expect(closed!.status).toBe("failed");
    expect(closed!.error).toContain("Storage answered 503");
    const [note] =
      await sql`select title from public.notifications where user_id = ${member.id} and type = 'core.export_ready'`;
    expect(note!.title).toBe("Your export of compliance.contract failed");
  });
});

describe("bad input answers a clear 4xx and records nothing", () => {
  it("refuses bad requests and other tenants' ids", async () => {
    const [theirView] = await asUser(
      sql,
      userClaims(stranger),
      (tx) =>
        tx`insert into public.saved_views (org_id, kind, name, sharing) values (${otherOrg}, 'compliance.contract', 'Theirs', 'org') returning id`,
    );
    const before = await exportCount();
    const cases: [unknown, string | undefined, number][] = [
      [null, "{bad json", 400],
      [{ org_id: org }, undefined, 422],
      [{ org_id: org, kind: "compliance.contract", view_id: theirView!.id }, undefined, 422],
      [{ org_id: org, kind: "compliance.contract", format: "pdf" }, undefined, 422],
      [{ org_id: org, kind: "compliance.nothing" }, undefined, 422],
      [{ org_id: org, kind: "compliance.contract", columns: ["secret_column"] }, undefined, 422],
      [
        { org_id: org, kind: "compliance.contract", filter: { where: { field: "title", op: "like", value: "x" } } },
        undefined,
        422,
      ],
      [
        { org_id: org, kind: "compliance.contract", filter: { where: { field: "title", op: "eq", value: "a\u0000" } } },
        undefined,
        422,
      ],
      [{ org_id: org, kind: "compliance.contract", columns: ["reference; drop table x"] }, undefined, 422],
      [{ org_id: otherOrg, kind: "compliance.contract" }, undefined, 403],
      [{ org_id: org, view_id: theirView!.id }, undefined, 404],
      [{ org_id: org, kind: "compliance.contract", extra: true }, undefined, 422],
      [null, JSON.stringify({ org_id: org, kind: "compliance.contract", filter: { where: "x".repeat(70_000) } }), 413],
    ];
    for (const [body, raw, status] of cases) {
      const response = await post(owner, body, raw);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect((await response.json()).error.code).toBeTruthy();
    }
    expect((await post(null, { org_id: org, kind: "compliance.contract" })).status).toBe(401);
    expect((await get(owner, `/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await get(owner, "/not-a-uuid")).status).toBe(422);
    expect(await exportCount()).toBe(before);
  });
});
