/**
 * The native stack's dispatcher waker: calls email-dispatch when the outbox announces mail
 * (LISTEN groundwork_email_outbox, notified at commit by a trigger) and on a timer, so retries
 * and scheduled mail go out too. Runs never overlap; a wake during a run causes one more run.
 * Hosted Supabase uses pg_cron + pg_net instead (migration core_outbox_hosted_dispatch).
 */
import postgres from "postgres";

export interface WakerOptions {
  dbUrl: string;
  dispatchUrl: string;
  secret: string;
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface Waker {
  /** Resolves when the current run (if any) has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWaker(options: WakerOptions): Promise<Waker> {
  const log = options.log ?? ((line) => console.log(line));
  const sql = postgres(options.dbUrl, { max: 1, onnotice: () => {} });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const run = async () => {
    try {
      const response = await fetch(options.dispatchUrl, {
        method: "POST",
        headers: { "x-dispatch-secret": options.secret, "content-type": "application/json" },
        body: "{}",
      });
      const body = await response.text();
      if (!response.ok) {
        log(JSON.stringify({ level: "warn", message: "dispatch failed", status: response.status, body }));
      }
    } catch (error) {
      log(JSON.stringify({ level: "warn", message: "dispatch unreachable", error: (error as Error).message }));
    }
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await run();
      } while (again && !stopped);
      running = null;
    })();
  };

  await sql.listen("groundwork_email_outbox", wake);
  const timer = setInterval(wake, options.intervalMs ?? 10_000);
  wake();
  return {
    idle: async () => {
      while (running) await running;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
      await sql.end({ timeout: 2 });
    },
  };
}
