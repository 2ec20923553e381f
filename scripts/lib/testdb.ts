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
import { freePort } from "./proc.ts";

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
