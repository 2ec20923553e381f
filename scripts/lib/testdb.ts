/** A throwaway cluster on a free port with platform + migrations: the base of npm test and types. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildDatabase,
  type Cluster,
  clusterAt,
  type Durability,
  initCluster,
  prepareClusterHome,
  removeCluster,
  startCluster,
  stopCluster,
} from "./cluster.ts";
import { FatalError } from "./log.ts";
import { freePort, run } from "./proc.ts";

export interface ThrowawayCluster {
  cluster: Cluster;
  home: string;
  dispose(): Promise<void>;
}

/**
 * A cluster for one run, removed by dispose(). Throwaway durability (no fsync) unless asked:
 * benchmarks and crash tests ask for a durable one.
 */
export async function throwawayCluster(
  schemas: string[],
  options: { seed: boolean; durability?: Durability },
): Promise<ThrowawayCluster> {
  const home = await prepareClusterHome(mkdtempSync(join(tmpdir(), "groundwork-test-")));
  const cluster = clusterAt(join(home, "data"), await freePort());
  const dispose = async () => {
    await stopCluster(cluster).catch(() => {});
    removeCluster(cluster);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await initCluster(cluster);
    await startCluster(cluster, options.durability ?? "throwaway");
    await buildDatabase(cluster, schemas, options);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { cluster, home, dispose };
}

/** Schemas to generate types for: the exposed ones that our stack actually has. */
export function typeSchemas(schemas: string[]): string[] {
  return schemas.filter((s) => s !== "graphql_public");
}

/** A database URL on the same cluster with another database name. */
export function onDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Databases for parallel test workers, each a copy of the migrated and seeded `postgres` database
 * (CREATE DATABASE … TEMPLATE: a file copy, far quicker than migrating again), with its
 * database-level settings. A copy needs its template unused: pg_cron's launcher holds a connection
 * to `postgres`, so it is ended right before each copy (the postmaster starts it again).
 */
export async function workerDatabases(cluster: Cluster, count: number, schemas: string[]): Promise<string[]> {
  const admin = onDatabase(cluster.url("supabase_admin"), "template1");
  const exposed = schemas.join(", ").replaceAll("'", "");
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `groundwork_worker_${i}`;
    let error = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await run("psql", [
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        admin,
        "-c",
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'postgres' and pid <> pg_backend_pid()",
        "-c",
        `create database ${name} with template postgres owner postgres`,
      ]);
      error = result.stderr.trim();
      if (result.code === 0) break;
      if (!/being accessed by other users/.test(error)) throw new FatalError(`Cannot copy the test database: ${error}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (error && /being accessed/.test(error)) throw new FatalError(`Cannot copy the test database: ${error}`);
    const settings = await run("psql", [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      admin,
      "-c",
      `alter database ${name} set timezone to 'UTC'`,
      "-c",
      `alter database ${name} set pgrst.db_schemas = '${exposed}'`,
    ]);
    if (settings.code !== 0) throw new FatalError(`Cannot set up ${name}: ${settings.stderr.trim()}`);
    names.push(name);
  }
  return names;
}
