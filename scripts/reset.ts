/**
 * npm run db:reset: rebuilds the local database from scratch — a new cluster, the platform
 * stand-in, every migration (Supabase CLI) and the seed. Running functions reconnect by themselves.
 */
import { buildDatabase, ensurePackages, initCluster, removeCluster, startCluster, stopCluster } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { done, runMain, step } from "./lib/log.ts";
import { isRunning, localCluster, readState } from "./lib/stack.ts";

async function main(): Promise<void> {
  const config = readConfig();
  await ensurePackages();
  const running = isRunning(readState());
  const cluster = await localCluster(config.dbPort);
  step("Stopping PostgreSQL and removing the old cluster");
  await stopCluster(cluster);
  removeCluster(cluster);
  await initCluster(cluster);
  await startCluster(cluster);
  await buildDatabase(cluster, config.schemas, { seed: true });
  if (!running) await stopCluster(cluster);
  done(running ? "Database rebuilt; the stack keeps running." : "Database rebuilt. Start the stack with `npm start`.");
}

runMain(main);
