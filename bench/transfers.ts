/**
 * Import and export benchmark (issue #13), in one run on a durable cluster:
 *   - import 100,000 contracts from a CSV through the imports function (parse, stage, the job's
 *     batches as the member, a savepoint a line, audit), rows/s, beside the floor: the same rows
 *     inserted by one INSERT … SELECT as the same member (RLS and audit too, no per-line savepoint);
 *   - export them as CSV through the exports function, streamed: the process's peak heap while
 *     exporting 11,111 and 100,000 rows (flat means the same), beside the form that builds the
 *     whole file in memory first.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import postgres from "postgres";
import { type Claims, createVerifier } from "../functions/_shared/auth.ts";
import { toCsv } from "../functions/_shared/csv.ts";
import { asCaller } from "../functions/_shared/db.ts";
import type { StorageClient } from "../functions/_shared/storage.ts";
import { exportsApp } from "../functions/exports/routes.ts";
import { imports, workImports } from "../functions/imports/routes.ts";
import { accessToken, LOCAL_JWT_SECRET } from "../scripts/lib/tokens.ts";
import type { BenchResult } from "./core.ts";

type Sql = postgres.Sql;
const ROWS = 100_000;

const noStorage = {} as StorageClient;
// A collection before each measurement, so a peak is what the export holds, not old garbage.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * The most heap the work keeps alive: sampled right after a full collection, every time the work
 * says so (garbage the collector has not reached yet is not memory the export holds).
 */
async function peakHeapWhile(work: (sample: () => void) => Promise<void>): Promise<number> {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  await work(sample);
  return (peak - base) / 1024 / 1024;
}

export async function measureTransfers(sql: Sql, log: (line: string) => void): Promise<BenchResult[]> {
  const [user] = await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'bench-importer@bench.test', '', now(), '{}', '{}', now(), now())
    returning id, email`;
  const [floorOrg] =
    await sql`insert into public.organizations (name, slug, created_by) values ('Floor', 'bench-floor', ${
      user!.id
    }) returning id`;
  const [org] =
    await sql`insert into public.organizations (name, slug, created_by) values ('Imports', 'bench-imports', ${
      user!.id
    }) returning id`;
  const token = await accessToken({ id: user!.id, email: user!.email }, { secret: LOCAL_JWT_SECRET, expiresIn: 7200 });
  const claims: Claims = {
    sub: user!.id,
    role: "authenticated",
    aal: "aal1",
    exp: Math.floor(Date.now() / 1000) + 7200,
  };
  const verify = createVerifier({ secret: LOCAL_JWT_SECRET });
  const deps = { sql, verify, storage: noStorage, secret: "bench-secret-bench-secret-bench-secret", env: {} as never };
  const importer = imports.handler(deps);
  const exporter = exportsApp.handler(deps);
  const auth = { authorization: `Bearer ${token}` };

  const header = "Reference,Title,Type,Value,Currency,Start date,End date,Auto renew";
  const line = (i: number) =>
    `IMP-${i},Contract ${i} with a supplier,services,${i % 9000}.50,USD,2026-01-01,2027-01-01,false`;
  const csv = [header, ...Array.from({ length: ROWS }, (_, i) => line(i + 1))].join("\n");
  log(`Importing ${ROWS.toLocaleString("en")} contracts (${(csv.length / 1024 / 1024).toFixed(1)} MB of CSV)`);

  const started = performance.now();
  const staged = await importer(
    new Request(`http://bench/functions/v1/imports?org_id=${org!.id}&kind=compliance.contract&file_name=bench.csv`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/csv" },
      body: csv,
    }),
  );
  const { import: record } = await staged.json() as { import: { id: string; total_rows: number } };
  const stagedAt = performance.now();
  await importer(
    new Request(`http://bench/functions/v1/imports/${record.id}/start`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        mapping: {
          Reference: "reference",
          Title: "title",
          Type: "contract_type",
          Value: "value",
          Currency: "currency",
          "Start date": "start_date",
          "End date": "end_date",
          "Auto renew": "auto_renew",
        },
      }),
    }),
  ).then((r) => r.body?.cancel());
  for (;;) {
    const [state] = await sql`select status::text from public.imports where id = ${record.id}`;
    if (state!.status !== "running") break;
    await workImports(sql, { maxMs: 40_000, batchSize: 1000, importId: record.id });
  }
  const seconds = (performance.now() - started) / 1000;
  const [done] = await sql`select created_rows, failed_rows, status::text from public.imports where id = ${record.id}`;
  const rate = ROWS / seconds;

  log("The floor: the same rows by one INSERT … SELECT as the same member");
  const floorStarted = performance.now();
  await asCaller(
    sql,
    claims,
    (tx) =>
      tx`insert into compliance.contracts (org_id, reference, title, contract_type, value, currency, start_date, end_date, auto_renew)
       select ${
        floorOrg!.id
      }, 'IMP-' || i, 'Contract ' || i || ' with a supplier', 'services', (i % 9000) + 0.5, 'USD', date '2026-01-01', date '2027-01-01', false
       from generate_series(1, ${ROWS}) i`,
  );
  const floorRate = ROWS / ((performance.now() - floorStarted) / 1000);
  await sql`vacuum analyze compliance.contracts`;

  log("Exporting as CSV, streamed: peak heap for 11,111 and 100,000 rows, and the in-memory form for 100,000");
  const streamed = (limit: number) =>
    peakHeapWhile(async (sample) => {
      const response = await exporter(
        new Request("http://bench/functions/v1/exports", {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({
            org_id: org!.id,
            kind: "compliance.contract",
            delivery: "download",
            // IMP-1, IMP-10…19, … IMP-10000…19999: 11,111 rows.
            filter: limit < ROWS ? { where: { field: "reference", op: "starts_with", value: "IMP-1" } } : undefined,
          }),
        }),
      );
      const reader = response.body!.getReader();
      let chunks = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (++chunks % 10 === 0) sample();
      }
    });
  const small = await streamed(11_111);
  const large = await streamed(ROWS);
  const whole = await peakHeapWhile(async (sample) => {
    const rows: Record<string, unknown>[] = await asCaller(
      sql,
      claims,
      (tx) => tx`select * from compliance.contracts where org_id = ${org!.id}`,
    );
    sample();
    const text = toCsv(rows, Object.keys(rows[0] ?? {}));
    sample();
    if (text.length === 0) throw new Error("the export is empty");
  });
  const flat = large / Math.max(small, 1);
  return [
    {
      name: `import ${ROWS.toLocaleString("en")} rows: rows/s, and ÷ one INSERT … SELECT`,
      value: rate / floorRate,
      target: "≥ 1,000 rows/s; 0 lost",
      ok: rate >= 1000 && done!.created_rows === ROWS && done!.failed_rows === 0,
      detail: `${Math.round(rate).toLocaleString("en")} rows/s (${seconds.toFixed(1)} s: staging ${
        ((stagedAt - started) / 1000).toFixed(1)
      } s, batches of 1,000); one INSERT … SELECT: ${Math.round(floorRate).toLocaleString("en")} rows/s; ${
        done!.created_rows
      } created, ${done!.failed_rows} failed, ${done!.status}`,
    },
    {
      name: `export ${ROWS.toLocaleString("en")} rows as CSV: heap kept ÷ the heap kept for 11,111`,
      value: flat,
      target: "≤ 1.5 (flat)",
      ok: flat <= 1.5,
      detail: `heap kept alive (sampled after a full collection every 10 chunks): streamed, ${
        small.toFixed(1)
      } MB for 11,111 rows and ${large.toFixed(1)} MB for 100,000; the whole file built in memory first, ${
        whole.toFixed(1)
      } MB for 100,000`,
    },
  ];
}
