/**
 * The native PostgreSQL 15 cluster: Debian packages, initdb, start/stop, the platform
 * stand-in, migrations (applied by the Supabase CLI) and the seed.
 *
 * The cluster superuser is `supabase_admin`; migrations, seed and tests run as the
 * non-superuser `postgres`, as on a hosted Supabase project. The server never runs as root:
 * when we are root it runs as the `postgres` OS user.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { readConfig } from "./config.ts";
import { userInfo } from "node:os";
import { FatalError, step } from "./log.ts";
import { bin, pgBin, root } from "./paths.ts";
import { run, type RunResult } from "./proc.ts";

export const DEBIAN_PACKAGES = [
  "postgresql-15",
  "postgresql-15-pgtap",
  "postgresql-15-cron",
  "postgresql-15-plpgsql-check",
  "libtap-parser-sourcehandler-pgtap-perl",
];

const REQUIRED_FILES: Record<string, string> = {
  "postgresql-15": pgBin("postgres"),
  "postgresql-15-pgtap": "/usr/share/postgresql/15/extension/pgtap.control",
  "postgresql-15-cron": "/usr/share/postgresql/15/extension/pg_cron.control",
  "postgresql-15-plpgsql-check": "/usr/share/postgresql/15/extension/plpgsql_check.control",
  "libtap-parser-sourcehandler-pgtap-perl": "/usr/bin/pg_prove",
};

/** What only `npm test` needs: a real headless browser for the pages the functions serve. */
const TEST_FILES: Record<string, string> = { chromium: "/usr/bin/chromium" };

const isRoot = (): boolean => process.getuid?.() === 0;

/** Installs the Debian packages the stack needs when missing (as root), or says how. */
export async function ensurePackages(forTests = false): Promise<void> {
  const wanted = { ...REQUIRED_FILES, ...(forTests ? TEST_FILES : {}) };
  const missing = Object.entries(wanted).filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(" ")}`;
  if (!isRoot()) {
    throw new FatalError(
      `Missing Debian packages: ${missing.join(", ")}. Install them with: sudo apt-get update && sudo ${command}`,
    );
  }
  step(`Installing Debian packages: ${missing.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = await run("apt-get", ["update", "-qq"], { env });
  const install = update.code === 0 ? await run("apt-get", ["install", "-y", "-qq", ...missing], { env }) : update;
  if (install.code !== 0) {
    throw new FatalError(
      `Cannot install ${missing.join(", ")} (${command}): ${install.stderr.trim().split("\n").pop()}`,
    );
  }
}

export interface Cluster {
  dataDir: string;
  port: number;
  logFile: string;
  /** Connection URL for a role (trust auth on loopback; passwords match Supabase's local ones). */
  url(role?: "postgres" | "supabase_admin" | "authenticator"): string;
}

export function clusterAt(dataDir: string, port: number): Cluster {
  return {
    dataDir,
    port,
    logFile: join(dataDir, "..", "postgres.log"),
    url: (role = "postgres") => `postgresql://${role}:postgres@127.0.0.1:${port}/postgres`,
  };
}

/** Runs a PostgreSQL binary as the `postgres` OS user when we are root, else as ourselves. */
function asServerUser(command: string, args: string[]): Promise<RunResult> {
  if (isRoot()) return run("runuser", ["-u", "postgres", "--", command, ...args]);
  return run(command, args);
}

/**
 * A folder for a cluster that the server's OS user can write. As root, the repository may sit
 * where `postgres` cannot reach (a home folder); then a folder under /var/tmp is used instead.
 */
export async function prepareClusterHome(preferred: string): Promise<string> {
  mkdirSync(preferred, { recursive: true });
  if (!isRoot()) return preferred;
  const { uid, gid } = postgresIds();
  chownSync(preferred, uid, gid);
  const probe = await run("runuser", ["-u", "postgres", "--", "test", "-w", preferred]);
  if (probe.code === 0) return preferred;
  const fallback = join("/var/tmp", `groundwork-${createHash("sha1").update(preferred).digest("hex").slice(0, 10)}`);
  mkdirSync(fallback, { recursive: true });
  chownSync(fallback, uid, gid);
  return fallback;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new FatalError("There is no `postgres` OS user to run the server as: install postgresql-15.");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function initCluster(cluster: Cluster): Promise<void> {
  if (existsSync(join(cluster.dataDir, "PG_VERSION"))) return;
  const result = await asServerUser(pgBin("initdb"), [
    "-D",
    cluster.dataDir,
    "-U",
    "supabase_admin",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
  ]);
  if (result.code !== 0) throw new FatalError(`initdb failed: ${result.stderr.trim()}`);
}

/**
 * How a cluster treats acknowledged commits. `durable` (the default: npm start's database, the
 * benchmarks) keeps PostgreSQL's defaults, so a commit that was answered survives a crash of the
 * server or the machine. `throwaway` (npm test's clusters only, rebuilt every run) skips fsync,
 * full-page writes and the wait for the commit record, trading exactly that guarantee for speed.
 */
export type Durability = "durable" | "throwaway";

export const THROWAWAY_SETTINGS = ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"];

/** Whether a pid is a running process (a zombie — dead, not yet reaped by its parent — is not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, "utf8") : "";
  return !/^State:\s+Z/m.test(status);
}

/**
 * After a crash the lock file names a postmaster that is gone; where the container's init does not
 * reap it, it lingers as a zombie whose pid still "exists", and PostgreSQL would refuse to start
 * forever. A lock file whose process is dead or a zombie is stale: remove it.
 */
function clearStaleLock(cluster: Cluster): void {
  const pid = clusterPid(cluster);
  if (pid !== null && !running(pid)) rmSync(join(cluster.dataDir, "postmaster.pid"), { force: true });
}

export async function startCluster(cluster: Cluster, durability: Durability = "durable"): Promise<void> {
  clearStaleLock(cluster);
  const options = [
    `-p ${cluster.port}`,
    "-c listen_addresses=127.0.0.1",
    "-c unix_socket_directories=''",
    "-c shared_preload_libraries=pg_cron,plpgsql_check",
    "-c cron.database_name=postgres",
    "-c cron.timezone=UTC",
    // Jobs run in background workers, not over a libpq connection (no socket or password needed).
    "-c cron.use_background_workers=on",
    "-c max_worker_processes=16",
    "-c wal_level=logical",
    "-c max_connections=200",
    ...(durability === "throwaway"
      ? THROWAWAY_SETTINGS
      : ["-c fsync=on", "-c synchronous_commit=on", "-c full_page_writes=on"]),
    "-c timezone=UTC",
  ].join(" ");
  let result = await asServerUser(pgBin("pg_ctl"), [
    "-D",
    cluster.dataDir,
    "-l",
    cluster.logFile,
    "-o",
    options,
    "-w",
    "-t",
    "60",
    "start",
  ]);
  // Right after a crash the dead server's processes may still hold its shared memory for a moment.
  for (let attempt = 0; result.code !== 0 && attempt < 25; attempt++) {
    const log = existsSync(cluster.logFile) ? readFileSync(cluster.logFile, "utf8").slice(-2000) : "";
    if (!/shared memory block is still in use|lock file "postmaster.pid" already exists/.test(log)) break;
    await new Promise((r) => setTimeout(r, 200));
    clearStaleLock(cluster);
    result = await asServerUser(pgBin("pg_ctl"), [
      "-D",
      cluster.dataDir,
      "-l",
      cluster.logFile,
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  }
  if (result.code !== 0) {
    const tail = existsSync(cluster.logFile)
      ? readFileSync(cluster.logFile, "utf8").trim().split("\n").slice(-3).join(" | ")
      : "";
    throw new FatalError(
      `PostgreSQL did not start on port ${cluster.port}: ${result.stderr.trim() || result.stdout.trim()} ${tail}`,
    );
  }
}

export async function stopCluster(cluster: Cluster): Promise<void> {
  if (!existsSync(join(cluster.dataDir, "postmaster.pid"))) return;
  await asServerUser(pgBin("pg_ctl"), ["-D", cluster.dataDir, "-m", "fast", "-w", "stop"]);
}

export function removeCluster(cluster: Cluster): void {
  rmSync(cluster.dataDir, { recursive: true, force: true });
}

/** The postmaster's pid, from postmaster.pid, or null when the server is down. */
export function clusterPid(cluster: Cluster): number | null {
  const file = join(cluster.dataDir, "postmaster.pid");
  if (!existsSync(file)) return null;
  return Number(readFileSync(file, "utf8").split("\n")[0]) || null;
}

/** Runs SQL files with psql, each in one transaction, stopping at the first error. */
export async function psqlFiles(url: string, files: string[]): Promise<void> {
  for (const file of files) {
    const result = await run("psql", [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "--single-transaction",
      "-d",
      url,
      "-f",
      file,
    ], {
      env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" },
    });
    if (result.code !== 0) {
      throw new FatalError(`${file.replace(root + "/", "")} failed: ${result.stderr.trim()}`);
    }
  }
}

export async function psql(url: string, sql: string): Promise<string> {
  const result = await run("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
  if (result.code !== 0) throw new FatalError(`SQL failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Loads sql/platform/ as the superuser, then tells the API advisors which schemas are exposed. */
export async function loadPlatform(cluster: Cluster, exposedSchemas: string[]): Promise<void> {
  const dir = join(root, "sql", "platform");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort().map((f) => join(dir, f));
  await psqlFiles(cluster.url("supabase_admin"), files);
  // PostgREST reads pgrst.db_schemas from its role; Supabase's advisors read it from the session.
  const schemas = exposedSchemas.join(", ").replaceAll("'", "");
  await psql(
    cluster.url("supabase_admin"),
    `alter role authenticator set pgrst.db_schemas = '${schemas}'; alter database postgres set pgrst.db_schemas = '${schemas}';`,
  );
}

/** Environment for the Supabase CLI against the local cluster (no TLS on loopback). */
export function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PGSSLMODE: "disable", SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" };
}

/**
 * Applies pending migrations with the Supabase CLI (`supabase migration up`), so the history
 * lands in supabase_migrations.schema_migrations as on a hosted project. The CLI applies each
 * file in its own transaction: a failing file leaves nothing of itself behind, and we stop with
 * its name and the Postgres error.
 */
export async function applyMigrations(url: string, workdir = root): Promise<void> {
  const result = await run(bin("supabase"), ["migration", "up", `--remote=${url}`, "--yes", "--workdir", workdir], {
    env: cliEnv(),
  });
  if (result.code === 0) return;
  const output = `${result.stdout}\n${result.stderr}`;
  const file = /Applying migration (\S+?)\.\.\./g;
  let last: string | undefined;
  for (const match of output.matchAll(file)) last = match[1];
  const error = output.split("\n").filter((l) => /ERROR|At statement|SQLSTATE/.test(l)).join(" ").trim();
  const statement = output.split("\n").find((_, i, lines) => i > 0 && /^At statement/.test(lines[i - 1] ?? ""));
  throw new FatalError(
    `Migration ${last ?? "(unknown file)"} failed: ${error || output.trim().split("\n").slice(-3).join(" ")}` +
      (statement ? ` — in: ${statement.trim()}` : "") + ". Nothing of it was applied.",
  );
}

/**
 * The demo data files, as the Supabase CLI reads them: config.toml's [db.seed] sql_paths (globs
 * allowed, relative to supabase/), each glob's matches in name order — supabase/seeds/NN_<part>.sql.
 */
export function seedFiles(): string[] {
  const paths = readConfig().seedPaths;
  return paths.flatMap((pattern) => {
    const full = join(root, "supabase", pattern);
    if (!/[*?]/.test(full)) return existsSync(full) ? [full] : [];
    const dir = dirname(full);
    const match = new RegExp(
      `^${basename(full).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`,
    );
    return existsSync(dir) ? readdirSync(dir).filter((f) => match.test(f)).sort().map((f) => join(dir, f)) : [];
  }).filter((file) => statSync(file).size > 0);
}

/** Loads the demo data (supabase/seeds/*.sql) as postgres, each file in one transaction. */
export async function seed(cluster: Cluster): Promise<void> {
  const files = seedFiles();
  if (files.length > 0) await psqlFiles(cluster.url(), files);
}

/** A fresh cluster with platform and migrations applied: the base of `npm start` and `npm test`. */
export async function buildDatabase(
  cluster: Cluster,
  exposedSchemas: string[],
  options: { seed: boolean },
): Promise<void> {
  step("Loading the Supabase platform stand-in (sql/platform)");
  await loadPlatform(cluster, exposedSchemas);
  step("Applying migrations with the Supabase CLI (supabase migration up)");
  await applyMigrations(cluster.url());
  if (options.seed) {
    step("Loading demo data (supabase/seeds/)");
    await seed(cluster);
  }
}

export function whoami(): string {
  return userInfo().username;
}
