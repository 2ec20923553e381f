/**
 * npm test: everything a contributor needs to trust a change.
 *   1. tsc, deno check, deno fmt     4. Supabase advisors and linter gates
 *      --check, the migration lint,
 *      openapi.json drift
 *   2. a throwaway cluster           5. pgTAP (pg_prove) on tests/db
 *   3. generated types drift         6. vitest: database-only files in parallel, one database
 *                                       per worker; then the files sharing the stack, in order
 * The cluster and services are stopped even when tests fail. Ends with "N passed, N failed".
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { ensurePackages, psqlFiles } from "./lib/cluster.ts";
import { lintNewMigrations } from "./lib/migration-lint.ts";
import { generateOpenApi, OPENAPI_PATH, validateOpenApi } from "./lib/openapi.ts";
import { readConfig } from "./lib/config.ts";
import { advisorFailures, advisorFindings, describeFindings, generateTypes, lint } from "./lib/gates.ts";
import { done, FatalError, runMain, step, warn } from "./lib/log.ts";
import { bin, root } from "./lib/paths.ts";
import { freePort, run, runLive } from "./lib/proc.ts";
import { functionEnv, startGatewayProcess, startMailCatcher, stopProcessGroup } from "./lib/services.ts";
import { onDatabase, type ThrowawayCluster, throwawayCluster, typeSchemas, workerDatabases } from "./lib/testdb.ts";
import { LOCAL_JWT_SECRET } from "./lib/tokens.ts";

interface Outcome {
  name: string;
  ok: boolean;
  detail?: string;
}

const outcomes: Outcome[] = [];
/** Individual tests counted across pgTAP and vitest (each gate counts as one). */
const counts = { passed: 0, failed: 0 };

async function check(name: string, fn: () => Promise<string | void>): Promise<boolean> {
  step(name);
  try {
    const detail = await fn();
    outcomes.push({ name, ok: true, detail: detail ?? undefined });
    done(`${name}${detail ? `: ${detail}` : ""}`);
    return true;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    outcomes.push({ name, ok: false, detail });
    console.error(`✗ ${name}: ${detail}`);
    return false;
  }
}

/** The benchmark sources (not their results, which npm run bench writes). */
function benchSources(): string[] {
  return readdirSync(join(root, "bench")).filter((f) => f.endsWith(".ts")).map((f) => join("bench", f));
}

function functionEntrypoints(): string[] {
  return readdirSync(join(root, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_"))
    .map((d) => join("functions", d.name, "index.ts"));
}

async function main(): Promise<void> {
  const config = readConfig();
  const only = process.argv.slice(2);

  await check("TypeScript (tsc --noEmit)", async () => {
    const code = await runLive(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"], { cwd: root });
    if (code !== 0) throw new Error("type errors above");
  });
  await check("Deno (deno check on every function)", async () => {
    const entries = functionEntrypoints();
    const code = await runLive(bin("deno"), ["check", "--quiet", ...entries, "scripts/deno-serve-shim.ts"], {
      cwd: root,
    });
    if (code !== 0) throw new Error("type errors above");
    return `${entries.length} function(s)`;
  });

  await check("Formatting (deno fmt --check)", async () => {
    const code = await runLive(bin("deno"), [
      "fmt",
      "--check",
      "--quiet",
      "functions",
      "scripts",
      "tests",
      ...benchSources(),
    ], { cwd: root });
    if (code !== 0) throw new Error("run `npx deno fmt functions scripts tests bench/*.ts` and commit");
  });
  await check("Migration lint (migrations added since the lint's cutoff)", async () => {
    const problems = lintNewMigrations();
    if (problems.length > 0) throw new Error(`\n${problems.join("\n")}`);
  });

  await check("openapi.json matches the route tables and is valid OpenAPI 3.1", async () => {
    const fresh = await generateOpenApi();
    const problems = await validateOpenApi(fresh);
    if (problems.length > 0) throw new Error(`not valid OpenAPI 3.1:\n${problems.join("\n")}`);
    if (fresh !== readFileSync(OPENAPI_PATH, "utf8")) {
      throw new Error(
        "functions/openapi.json is out of date with the route tables: run `npm run openapi` and commit it",
      );
    }
    return `${Object.keys(JSON.parse(fresh).paths).length} paths`;
  });

  await ensurePackages(true);
  let db: ThrowawayCluster | undefined;
  const services: ChildProcess[] = [];
  try {
    step("Starting a throwaway PostgreSQL cluster (platform + migrations + seed)");
    db = await throwawayCluster(config.schemas, { seed: true });
    const url = db.cluster.url();
    await psqlFiles(url, [join(root, "tests", "db", "helpers.sql")]);

    await check("Generated types match types/database.ts", async () => {
      const fresh = await generateTypes(url, typeSchemas(config.schemas));
      const committed = readFileSync(join(root, "types", "database.ts"), "utf8");
      if (fresh !== committed) {
        throw new Error("types/database.ts is out of date with the migrations: run `npm run types` and commit it");
      }
    });
    await check("Supabase advisors (--fail-on warn, no unindexed foreign keys)", async () => {
      const { findings, exitCode } = await advisorFindings(url);
      const failures = advisorFailures(findings);
      if (failures.length > 0 || exitCode !== 0) {
        throw new Error(`\n${describeFindings(failures.length ? failures : findings)}`);
      }
      return `${findings.length} finding(s) at info level, none blocking`;
    });
    await check("Supabase linter (supabase db lint --fail-on error)", async () => {
      const result = await lint(url);
      if (!result.ok) throw new Error(`\n${result.output}`);
    });

    const testFiles = readdirSync(join(root, "tests", "db")).filter((f) => f.endsWith(".test.sql")).sort();
    await check(`pgTAP (${testFiles.length} files via pg_prove)`, async () => {
      const result = await run("pg_prove", [
        "--dbname",
        "postgres",
        "--host",
        "127.0.0.1",
        "--port",
        String(db!.cluster.port),
        "--username",
        "postgres",
        "--ext",
        ".sql",
        "--failures",
        "--comments",
        ...testFiles.map((f) => join("tests", "db", f)),
      ], { cwd: root, env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      const total = Number(/Files=\d+, Tests=(\d+)/.exec(result.stdout)?.[1] ?? 0);
      const failed = [...result.stdout.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((n, m) => n + Number(m[1]), 0);
      counts.passed += total - failed;
      counts.failed += failed;
      if (result.code !== 0) throw new Error("failures above");
      return `${total} assertions in ${testFiles.length} files`;
    });

    const logDir = mkdtempSync(join(tmpdir(), "groundwork-test-logs-"));
    const smtpPort = await freePort();
    const webPort = await freePort();
    step("Starting the mail catcher and the functions gateway for HTTP tests");
    services.push(await startMailCatcher(smtpPort, webPort, { logDir }));
    // Port 0: the gateway binds a free port itself and names it on its ready line.
    const env = await functionEnv(0, url, { smtpPort, webPort });
    // The functions run in a zone other than UTC, so nothing can lean on the process's zone.
    env.TZ = "America/Los_Angeles";
    const gateway = await startGatewayProcess(0, config.functions, env, { logDir });
    services.push(gateway.child);
    const apiPort = gateway.port;
    env.SUPABASE_URL = `http://127.0.0.1:${apiPort}`;

    const vitestEnv = {
      ...process.env,
      ...env,
      GROUNDWORK_TEST_DB_URL: url,
      GROUNDWORK_TEST_ADMIN_DB_URL: db!.cluster.url("supabase_admin"),
      GROUNDWORK_TEST_API_URL: `http://127.0.0.1:${apiPort}`,
      GROUNDWORK_TEST_LOG_DIR: logDir,
      SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
    };
    const vitest = async (name: string, args: string[], extraEnv: Record<string, string> = {}) => {
      const report = join(logDir, `${name}.json`);
      const code = await runLive(bin("vitest"), [
        "run",
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${report}`,
        ...args,
      ], { cwd: root, env: { ...vitestEnv, ...extraEnv } });
      if (!existsSync(report)) throw new Error("vitest wrote no report (failures above)");
      const summary = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
      counts.passed += summary.numPassedTests;
      counts.failed += summary.numFailedTests;
      if (code !== 0) throw new Error("failures above");
      return `${summary.numPassedTests} tests passed`;
    };

    // Files that need only a database (the isolation matrix, in shards) run in parallel, one
    // database per worker, each a copy of the migrated one; the rest share the gateway, the outbox
    // and the mail catcher, so they run in order on the database the functions use.
    const isolated = only.length === 0 || only.some((f) => f.includes("tests/isolation"));
    if (isolated) {
      const workers = Math.max(1, Math.min(4, availableParallelism()));
      step(`Copying the test database for ${workers} parallel worker(s)`);
      const names = await workerDatabases(db.cluster, workers, config.schemas);
      await check(`vitest, database-only files in parallel (${workers} workers)`, () =>
        vitest("vitest-parallel", [
          "--fileParallelism",
          `--maxWorkers=${workers}`,
          ...(only.length > 0 ? only.filter((f) => f.includes("tests/isolation")) : ["tests/isolation/"]),
        ], {
          GROUNDWORK_TEST_WORKER_DB_URLS: names.map((n) => onDatabase(url, n)).join(" "),
          GROUNDWORK_TEST_WORKER_ADMIN_DB_URLS: names.map((n) => onDatabase(db!.cluster.url("supabase_admin"), n))
            .join(" "),
        }));
    }
    const shared = only.filter((f) => !f.includes("tests/isolation"));
    if (only.length === 0 || shared.length > 0) {
      await check(
        "vitest, files sharing the stack, in order",
        () => vitest("vitest-shared", ["--exclude", "tests/isolation/**", ...shared]),
      );
    }
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    outcomes.push({ name: "test stack", ok: false, detail: error.message });
    console.error(`✗ ${error.message}`);
  } finally {
    for (const child of services) if (child.pid) stopProcessGroup(child.pid);
    await db?.dispose();
  }

  const failed = outcomes.filter((o) => !o.ok);
  console.log("");
  for (const o of outcomes) console.log(`${o.ok ? "✓" : "✗"} ${o.name}${o.detail && o.ok ? ` (${o.detail})` : ""}`);
  // Gates that are not test runners count as one test each.
  const gates = outcomes.filter((o) => !o.name.startsWith("pgTAP") && !o.name.startsWith("vitest"));
  const passed = counts.passed + gates.filter((o) => o.ok).length;
  const failures = counts.failed + gates.filter((o) => !o.ok).length +
    (failed.some((o) => o.name.startsWith("vitest") || o.name.startsWith("pgTAP")) && counts.failed === 0 ? 1 : 0);
  console.log(`\ntests: ${passed} passed, ${failures} failed`);
  if (failed.length > 0) {
    warn(`Failed: ${failed.map((o) => o.name).join("; ")}`);
    process.exit(1);
  }
}

runMain(main);
