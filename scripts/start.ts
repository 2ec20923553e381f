/**
 * npm start: the native local stack, no Docker. PostgreSQL 15 (pgTAP, pg_cron) on 54322 with the
 * platform stand-in, migrations and demo data; the edge functions behind a gateway on 54321; a mail
 * catcher on 54325 (SMTP) and 54324 (web). Prints URLs, keys and a token per demo user.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { applyMigrations, buildDatabase, ensurePackages, initCluster, startCluster, stopCluster } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { done, FatalError, runMain, step } from "./lib/log.ts";
import { assertPortsFree } from "./lib/proc.ts";
import { functionEnv, startGatewayProcess, startMailCatcher, stopProcessGroup } from "./lib/services.ts";
import { demoTokens, isRunning, localCluster, logDir, readState, writeState, type StackState } from "./lib/stack.ts";
import { apiKey } from "./lib/tokens.ts";

async function main(): Promise<void> {
  const config = readConfig();
  if (isRunning(readState())) throw new FatalError("The stack is already running: `npm stop` first, or use it as it is.");
  step("Checking PostgreSQL 15, pgTAP, pg_cron and plpgsql_check");
  await ensurePackages();
  await assertPortsFree({
    database: config.dbPort,
    "functions gateway": config.apiPort,
    "mail catcher web": config.mailWebPort,
    "mail catcher SMTP": config.mailSmtpPort,
  });

  const cluster = await localCluster(config.dbPort);
  const fresh = !existsSync(join(cluster.dataDir, "PG_VERSION"));
  step(fresh ? `Creating the database cluster in ${cluster.dataDir}` : `Reusing the database cluster in ${cluster.dataDir}`);
  await initCluster(cluster);
  step(`Starting PostgreSQL on port ${config.dbPort}`);
  await startCluster(cluster);
  const state: StackState = {
    home: join(cluster.dataDir, ".."),
    dbPort: config.dbPort,
    apiPort: config.apiPort,
    mailWebPort: config.mailWebPort,
    mailSmtpPort: config.mailSmtpPort,
    pids: {},
  };
  writeState(state);
  try {
    if (fresh) {
      await buildDatabase(cluster, config.schemas, { seed: true });
    } else {
      step("Applying new migrations with the Supabase CLI (supabase migration up)");
      await applyMigrations(cluster.url());
    }
    step(`Starting the mail catcher (SMTP ${config.mailSmtpPort}, web ${config.mailWebPort})`);
    const mail = await startMailCatcher(config.mailSmtpPort, config.mailWebPort, { logDir, detached: true });
    state.pids.mail = mail.pid;
    writeState(state);
    step(`Starting ${config.functions.length} edge function(s) behind the gateway on port ${config.apiPort}`);
    const env = await functionEnv(config.apiPort, cluster.url(), { smtpPort: config.mailSmtpPort, webPort: config.mailWebPort });
    const gateway = await startGatewayProcess(config.apiPort, config.functions, env, { logDir, detached: true, wakeDispatcher: true });
    state.pids.gateway = gateway.pid;
    writeState(state);
  } catch (error) {
    for (const pid of Object.values(state.pids)) if (pid) stopProcessGroup(pid);
    await stopCluster(cluster);
    throw error;
  }

  const api = `http://127.0.0.1:${config.apiPort}`;
  const tokens = await demoTokens(cluster);
  done("Groundwork is running.\n");
  const lines: [string, string][] = [
    ["Functions URL", `${api}/functions/v1/<name>   (try: curl ${api}/functions/v1/health)`],
    ["Database URL", cluster.url()],
    ["Mail catcher", `http://127.0.0.1:${config.mailWebPort}  (SMTP on 127.0.0.1:${config.mailSmtpPort})`],
    ["Functions", config.functions.map((f) => f.name).join(", ")],
    ["anon key", await apiKey("anon")],
    ["service_role key", await apiKey("service_role")],
    ["Logs", logDir],
  ];
  for (const [label, value] of lines) console.log(`  ${label.padEnd(17)} ${value}`);
  if (tokens.length > 0) {
    console.log("\n  Access tokens for the demo users (valid 7 days; send as Authorization: Bearer <token>):");
    for (const { email, token } of tokens) console.log(`    ${email}\n      ${token}`);
  }
  console.log("\n  Stop everything with: npm stop");
}

runMain(main);
