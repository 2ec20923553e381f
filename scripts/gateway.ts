/**
 * Entry point of the gateway process started by `npm start` and `npm test`. Its options arrive
 * as JSON in GROUNDWORK_GATEWAY (port 0: any free port); once every function listens it prints
 * its ready line, "groundwork gateway ready on port <port>", which the starter waits for.
 */
import { GATEWAY_READY, type GatewayOptions, startGateway } from "./lib/gateway.ts";
import { startWaker, type Waker } from "./lib/waker.ts";

const options = JSON.parse(process.env.GROUNDWORK_GATEWAY ?? "{}") as GatewayOptions & { wakeDispatcher?: boolean };
const gateway = await startGateway(options).catch((error: Error) => {
  console.error(`gateway failed: ${error.message}`);
  process.exit(1);
});
console.log(`${GATEWAY_READY} ${gateway.port}`);

let waker: Waker | undefined;
let purgeTimer: ReturnType<typeof setInterval> | undefined;
let workTimer: ReturnType<typeof setInterval> | undefined;
if (options.wakeDispatcher && options.env.SUPABASE_DB_URL && options.env.DISPATCH_SECRET) {
  const secret = options.env.DISPATCH_SECRET;
  waker = await startWaker({
    dbUrl: options.env.SUPABASE_DB_URL,
    dispatchUrl: `http://127.0.0.1:${gateway.port}/functions/v1/email-dispatch`,
    secret,
  });
  // What pg_cron does hourly on hosted projects: purge documents past their retention.
  const purge = () =>
    fetch(`http://127.0.0.1:${gateway.port}/functions/v1/documents-purge`, {
      method: "POST",
      headers: { "x-dispatch-secret": secret },
    })
      .then((r) => r.body?.cancel(), () => {});
  purgeTimer = setInterval(purge, 10 * 60_000);
  // What pg_cron does every minute on hosted projects: run queued imports and exports (the routes
  // that start them also run them inline for a few seconds).
  const work = (name: string) =>
    fetch(`http://127.0.0.1:${gateway.port}/functions/v1/${name}/work`, {
      method: "POST",
      headers: { "x-dispatch-secret": secret, "content-type": "application/json" },
      body: JSON.stringify({ max_seconds: 20 }),
    })
      .then((r) => r.body?.cancel(), () => {});
  let working = false;
  workTimer = setInterval(() => {
    if (working) return;
    working = true;
    Promise.allSettled([work("imports"), work("exports")]).finally(() => (working = false));
  }, 5_000);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    clearInterval(purgeTimer);
    clearInterval(workTimer);
    Promise.allSettled([waker?.stop(), gateway.close()]).finally(() => process.exit(0));
  });
}
