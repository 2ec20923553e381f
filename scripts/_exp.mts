// Experiment harness (not committed): a durable cluster with the core bench data, kept alive.
import { load } from "../bench/core.ts";
import { readConfig } from "./lib/config.ts";
import { throwawayCluster } from "./lib/testdb.ts";
import postgres from "postgres";
const db = await throwawayCluster(readConfig().schemas, { seed: false, durability: "durable" });
const sql = postgres(db.cluster.url(), { max: 2, onnotice: () => {} });
await load(sql, console.log);
await sql.end();
console.log("URL", db.cluster.url());
process.on("SIGTERM", async () => {
  await db.dispose();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
