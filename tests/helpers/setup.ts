// Parallel workers (database-only files) each get a database of their own, a copy of the migrated
// one: `npm test` lists them, and the worker's pool id picks one.
const workerUrls = process.env.GROUNDWORK_TEST_WORKER_DB_URLS?.split(" ").filter(Boolean) ?? [];
const pool = Number(process.env.VITEST_POOL_ID ?? "1");
if (workerUrls.length > 0) {
  const pick = (list: string[]) => list[(pool - 1) % list.length]!;
  process.env.GROUNDWORK_TEST_DB_URL = pick(workerUrls);
  const admins = process.env.GROUNDWORK_TEST_WORKER_ADMIN_DB_URLS?.split(" ").filter(Boolean) ?? [];
  if (admins.length > 0) process.env.GROUNDWORK_TEST_ADMIN_DB_URL = pick(admins);
}

// Fails fast, with the fix, when vitest is run without the stack `npm test` provides.
import { testEnv } from "./env.ts";

void testEnv.dbUrl;
