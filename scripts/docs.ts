/**
 * npm run docs: fills in the generated parts of docs/ (entity diagrams, role × permission tables)
 * from a throwaway database built from the migrations. npm test fails when they are stale.
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import postgres from "postgres";
import { ensurePackages } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { docFiles, readDoc, renderDoc } from "./lib/docs.ts";
import { done, runMain, step } from "./lib/log.ts";
import { root } from "./lib/paths.ts";
import { throwawayCluster } from "./lib/testdb.ts";

async function main(): Promise<void> {
  await ensurePackages();
  step("Building a throwaway database from the migrations");
  const db = await throwawayCluster(readConfig().schemas, { seed: false });
  const sql = postgres(db.cluster.url(), { max: 1, onnotice: () => {} });
  try {
    for (const file of docFiles()) {
      const before = readDoc(file);
      const after = await renderDoc(sql, before);
      if (after !== before) {
        writeFileSync(file, after);
        done(`Updated ${relative(root, file)}`);
      }
    }
  } finally {
    await sql.end();
    await db.dispose();
  }
  done("docs/ is up to date with the database");
}

runMain(main);
