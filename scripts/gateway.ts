/**
 * Entry point of the gateway process started by `npm start` and `npm test`. Its options arrive
 * as JSON in GROUNDWORK_GATEWAY; it prints "ready" once every function listens.
 */
import { startGateway, type GatewayOptions } from "./lib/gateway.ts";

const options = JSON.parse(process.env.GROUNDWORK_GATEWAY ?? "{}") as GatewayOptions;
const gateway = await startGateway(options).catch((error: Error) => {
  console.error(`gateway failed: ${error.message}`);
  process.exit(1);
});
console.log(`ready ${gateway.port}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    gateway.close().finally(() => process.exit(0));
  });
}
