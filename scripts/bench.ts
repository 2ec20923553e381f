/**
 * npm run bench: benchmarks on a throwaway cluster. Prints ratios measured side by side in one
 * run and writes them to bench/results/. Not part of npm test; targets live in the issues.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { load, measure } from "../bench/core.ts";
import { ensurePackages } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { done, runMain, step } from "./lib/log.ts";
import { root } from "./lib/paths.ts";
import { throwawayCluster } from "./lib/testdb.ts";

async function main(): Promise<void> {
  await ensurePackages();
  step("Building a throwaway database from the migrations");
  const db = await throwawayCluster(readConfig().schemas, { seed: false });
  // One connection: both sides of every ratio run on the same backend, alternately.
  const sql = postgres(db.cluster.url(), { max: 1, onnotice: () => {}, prepare: true });
  try {
    const started = Date.now();
    await load(sql, step);
    const results = await measure(sql, step);
    console.log("");
    console.log(`${"benchmark".padEnd(48)} ${"ratio".padStart(7)}  ${"target".padEnd(26)} result  detail`);
    for (const r of results) {
      console.log(`${r.name.padEnd(48)} ${r.value.toFixed(2).padStart(7)}  ${r.target.padEnd(26)} ${r.ok ? "met   " : "MISSED"}  ${r.detail}`);
    }
    mkdirSync(join(root, "bench", "results"), { recursive: true });
    const file = join(root, "bench", "results", "core.json");
    writeFileSync(file, JSON.stringify({
      date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, seconds: Math.round((Date.now() - started) / 1000), results,
    }, null, 2) + "\n");
    done(`Wrote ${file.replace(root + "/", "")}`);
  } finally {
    await sql.end();
    await db.dispose();
  }
}

runMain(main);
