/**
 * The stack's long-running services besides PostgreSQL: the mail catcher (maildev) and the
 * functions gateway. `npm start` runs them detached with logs under .groundwork/logs;
 * `npm test` runs them as its own children.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FunctionConfig } from "./config.ts";
import { GATEWAY_READY } from "./gateway.ts";
import { FatalError } from "./log.ts";
import { bin, root } from "./paths.ts";
import { waitForPort } from "./proc.ts";
import { apiKey, LOCAL_JWT_SECRET } from "./tokens.ts";

export interface ServiceOptions {
  /** Where the service's output goes (<logDir>/<name>.log). */
  logDir: string;
  /** Run detached in its own process group, outliving this process (npm start). */
  detached?: boolean;
}

function launch(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: ServiceOptions,
): ChildProcess {
  mkdirSync(options.logDir, { recursive: true });
  const out = openSync(join(options.logDir, `${name}.log`), "a");
  const child = spawn(command, args, {
    cwd: root,
    env,
    detached: Boolean(options.detached),
    stdio: ["ignore", out, out],
  });
  if (options.detached) child.unref();
  return child;
}

export async function startMailCatcher(
  smtpPort: number,
  webPort: number,
  options: ServiceOptions,
): Promise<ChildProcess> {
  const child = launch(
    "mail",
    bin("maildev"),
    ["--smtp", String(smtpPort), "--web", String(webPort), "--ip", "127.0.0.1", "--silent"],
    process.env,
    options,
  );
  await waitForPort(smtpPort, "the mail catcher (SMTP)");
  await waitForPort(webPort, "the mail catcher (web)");
  return child;
}

/** The dispatcher secret of the native stack (set DISPATCH_SECRET yourself anywhere else). */
export const LOCAL_DISPATCH_SECRET = "local-dispatch-secret-for-the-native-stack-only";

/** A signing secret for the email-events webhook on the native stack (base64 of a local phrase). */
export const LOCAL_WEBHOOK_SECRET = `whsec_${
  Buffer.from("local-webhook-secret-for-the-native-stack").toString("base64")
}`;

/** The environment Supabase gives edge functions, for the native stack. */
export async function functionEnv(
  apiPort: number,
  dbUrl: string,
  mail: { smtpPort: number; webPort: number },
): Promise<Record<string, string>> {
  return {
    SUPABASE_URL: `http://127.0.0.1:${apiPort}`,
    SUPABASE_DB_URL: dbUrl,
    SUPABASE_ANON_KEY: await apiKey("anon"),
    SUPABASE_SERVICE_ROLE_KEY: await apiKey("service_role"),
    SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(mail.smtpPort),
    EMAIL_TRANSPORT: "smtp",
    EMAIL_FROM: "Groundwork <no-reply@groundwork.test>",
    DISPATCH_SECRET: LOCAL_DISPATCH_SECRET,
    RESEND_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRET,
    APP_URL: "http://127.0.0.1:3000",
    MAIL_CATCHER_URL: `http://127.0.0.1:${mail.webPort}`,
  };
}

export interface GatewayProcess {
  child: ChildProcess;
  /** The port the gateway bound (the one asked for, or the free one it chose for 0). */
  port: number;
}

/** Bytes appended to a file since an offset (the gateway's log, read for its ready line). */
function readFrom(file: string, offset: number): string {
  if (!existsSync(file)) return "";
  const size = statSync(file).size;
  if (size <= offset) return "";
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/**
 * Starts the gateway process and waits for its ready line (which names the port it bound); fails
 * at once if the process exits first. Readiness never rests on "something answers on the port".
 */
export async function startGatewayProcess(
  port: number,
  functions: FunctionConfig[],
  env: Record<string, string>,
  options: ServiceOptions & { wakeDispatcher?: boolean; timeoutMs?: number },
): Promise<GatewayProcess> {
  const config = JSON.stringify({
    port,
    functions,
    env,
    jwtSecret: LOCAL_JWT_SECRET,
    quiet: false,
    wakeDispatcher: options.wakeDispatcher ?? false,
  });
  const log = join(options.logDir, "functions.log");
  const offset = existsSync(log) ? statSync(log).size : 0;
  const child = launch("functions", process.execPath, ["--import", "tsx", join(root, "scripts", "gateway.ts")], {
    ...process.env,
    GROUNDWORK_GATEWAY: config,
  }, options);
  let exit: string | undefined;
  child.once("exit", (code, signal) => (exit = `code ${code}, signal ${signal}`));
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const ready = new RegExp(`^${GATEWAY_READY} (\\d+)$`, "m");
  while (Date.now() < deadline) {
    const match = ready.exec(readFrom(log, offset));
    if (match) return { child, port: Number(match[1]) };
    if (exit) {
      const tail = readFrom(log, offset).trim().split("\n").slice(-3).join(" | ");
      throw new FatalError(`The functions gateway stopped while starting (${exit}): ${tail || `see ${log}`}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.pid) stopProcessGroup(child.pid);
  throw new FatalError(
    `The functions gateway did not report ready within ${(options.timeoutMs ?? 90_000) / 1000}s: see ${log}.`,
  );
}

/** Stops a service and everything in its process group. */
export function stopProcessGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
