/**
 * npm start: the native local stack, no Docker. PostgreSQL 15 (pgTAP, pg_cron) on 54322 with the
 * platform stand-in, migrations and demo data; the edge functions behind a gateway on 54321; a mail
 * catcher on 54325 (SMTP) and 54324 (web). Prints URLs, keys and a token per demo user.
 *
 * Run again, it checks each part and starts only what is down (a database that died, a gateway
 * that was killed), so a half-running stack is repaired rather than refused. The database is
 * durable (PostgreSQL's defaults: fsync and synchronous commit on).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  applyMigrations,
  buildDatabase,
  type Cluster,
  clusterPid,
  ensurePackages,
  initCluster,
  psql,
  startCluster,
} from "./lib/cluster.ts";
import { type ProjectConfig, readConfig } from "./lib/config.ts";
import { done, runMain, step } from "./lib/log.ts";
import { assertPortsFree, isAlive } from "./lib/proc.ts";
import { functionEnv, startGatewayProcess, startMailCatcher, stopProcessGroup } from "./lib/services.ts";
import { demoTokens, localCluster, logDir, readState, type StackState, writeState } from "./lib/stack.ts";
import { apiKey } from "./lib/tokens.ts";

async function databaseAnswers(cluster: Cluster): Promise<boolean> {
  const pid = clusterPid(cluster);
  if (!pid || !isAlive(pid)) return false;
  return psql(cluster.url(), "select 1").then(() => true, () => false);
}

async function gatewayAnswers(port: number, pid: number | undefined): Promise<boolean> {
  if (!pid || !isAlive(pid)) return false;
  return fetch(`http://127.0.0.1:${port}/functions/v1/health`).then(
    (r) => r.status < 500 || r.status === 503,
    () => false,
  );
}

async function printSummary(config: ProjectConfig, cluster: Cluster): Promise<void> {
  const api = `http://127.0.0.1:${config.apiPort}`;
  const tokens = await demoTokens(cluster);
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
  const orgs = await psql(
    cluster.url(),
    `
    select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name,
             'roles', (select json_agg(json_build_object('key', r.key, 'id', r.id) order by r.rank desc) from public.roles r where r.org_id = o.id))
           order by o.created_at), '[]') from public.organizations o`,
  ).then(
    (text) => JSON.parse(text || "[]") as { id: string; name: string; roles: { key: string; id: string }[] }[],
    () => [],
  );
  for (const org of orgs.slice(0, 3)) {
    console.log(
      `\n  Organization ${org.name}: ${org.id}\n  Its roles (an API that takes a role accepts the key or the id):`,
    );
    for (const role of org.roles ?? []) console.log(`    ${role.key.padEnd(10)} ${role.id}`);
  }
  if (tokens.length > 0) {
    console.log("\n  Access tokens for the demo users (valid 7 days; send as Authorization: Bearer <token>):");
    for (const { email, token } of tokens) console.log(`    ${email}\n      ${token}`);
  }
  console.log("\n  Stop everything with: npm stop");
}

async function main(): Promise<void> {
  const config = readConfig();
  const cluster = await localCluster(config.dbPort);
  const previous = readState();
  const up = {
    database: await databaseAnswers(cluster),
    mail: Boolean(previous?.pids.mail && isAlive(previous.pids.mail)),
    gateway: await gatewayAnswers(config.apiPort, previous?.pids.gateway),
  };
  if (up.database && up.mail && up.gateway) {
    done("Groundwork is already running.\n");
    await printSummary(config, cluster);
    return;
  }
  if (previous && (up.database || up.mail || up.gateway)) {
    const down = Object.entries(up).filter(([, ok]) => !ok).map(([part]) => part);
    step(`The stack is partly running; starting what is down: ${down.join(", ")}`);
  }

  step("Checking PostgreSQL 15, pgTAP, pg_cron and plpgsql_check");
  await ensurePackages();
  const ports: Record<string, number> = {};
  if (!up.database) ports.database = config.dbPort;
  if (!up.gateway) ports["functions gateway"] = config.apiPort;
  if (!up.mail) {
    Object.assign(ports, { "mail catcher web": config.mailWebPort, "mail catcher SMTP": config.mailSmtpPort });
  }
  // A part that died may leave its process behind without its port: stop it before taking the port.
  if (!up.gateway && previous?.pids.gateway && isAlive(previous.pids.gateway)) stopProcessGroup(previous.pids.gateway);
  await assertPortsFree(ports);

  const state: StackState = {
    home: join(cluster.dataDir, ".."),
    dbPort: config.dbPort,
    apiPort: config.apiPort,
    mailWebPort: config.mailWebPort,
    mailSmtpPort: config.mailSmtpPort,
    pids: up.mail || up.gateway ? { ...previous?.pids } : {},
  };
  if (!up.mail) delete state.pids.mail;
  if (!up.gateway) delete state.pids.gateway;
  writeState(state);
  const started: number[] = [];
  try {
    if (!up.database) {
      const fresh = !existsSync(join(cluster.dataDir, "PG_VERSION"));
      step(
        fresh
          ? `Creating the database cluster in ${cluster.dataDir}`
          : `Reusing the database cluster in ${cluster.dataDir}`,
      );
      await initCluster(cluster);
      step(`Starting PostgreSQL on port ${config.dbPort} (durable: fsync and synchronous commit on)`);
      await startCluster(cluster, "durable");
      if (fresh) {
        await buildDatabase(cluster, config.schemas, { seed: true });
      } else {
        step("Applying new migrations with the Supabase CLI (supabase migration up)");
        await applyMigrations(cluster.url());
      }
    }
    if (!up.mail) {
      step(`Starting the mail catcher (SMTP ${config.mailSmtpPort}, web ${config.mailWebPort})`);
      const mail = await startMailCatcher(config.mailSmtpPort, config.mailWebPort, { logDir, detached: true });
      state.pids.mail = mail.pid;
      if (mail.pid) started.push(mail.pid);
      writeState(state);
    }
    if (!up.gateway) {
      step(`Starting ${config.functions.length} edge function(s) behind the gateway on port ${config.apiPort}`);
      const env = await functionEnv(config.apiPort, cluster.url(), {
        smtpPort: config.mailSmtpPort,
        webPort: config.mailWebPort,
      });
      const gateway = await startGatewayProcess(config.apiPort, config.functions, env, {
        logDir,
        detached: true,
        wakeDispatcher: true,
      });
      state.pids.gateway = gateway.child.pid;
      if (gateway.child.pid) started.push(gateway.child.pid);
      writeState(state);
    }
  } catch (error) {
    for (const pid of started) stopProcessGroup(pid);
    throw error;
  }

  done("Groundwork is running.\n");
  await printSummary(config, cluster);
}

runMain(main);
