/**
 * npm run types: writes types/database.ts with `supabase gen types typescript` for every exposed
 * schema, from the running stack's database or, when it is down, a throwaway one.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePackages } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { generateTypes } from "./lib/gates.ts";
import { done, runMain, step } from "./lib/log.ts";
import { root } from "./lib/paths.ts";
import { throwawayCluster, typeSchemas } from "./lib/testdb.ts";

async function main(): Promise<void> {
  const config = readConfig();
  await ensurePackages();
  step("Building a throwaway database from the migrations");
  const db = await throwawayCluster(config.schemas, { seed: false });
  try {
    step(`Generating types for ${typeSchemas(config.schemas).join(", ")}`);
    const types = await generateTypes(db.cluster.url(), typeSchemas(config.schemas));
    writeFileSync(join(root, "types", "database.ts"), types);
  } finally {
    await db.dispose();
  }
  done("Wrote types/database.ts");
}

runMain(main);
