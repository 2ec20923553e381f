/**
 * Preloaded into each function process by the native gateway (deno run --preload). Supabase's
 * edge runtime ignores the port a function asks for and routes to it; here every function's
 * Deno.serve listens on a loopback port of its own choosing (GROUNDWORK_FUNCTION_PORT, 0 for any
 * free port) and reports it on a ready line the gateway reads, so index.ts runs unchanged and no
 * port is picked by one process and bound later by another.
 */
const port = Number(Deno.env.get("GROUNDWORK_FUNCTION_PORT") ?? "0");
const serve = Deno.serve.bind(Deno) as (options: Deno.ServeTcpOptions, handler: Deno.ServeHandler) => Deno.HttpServer;

function shimmedServe(...args: unknown[]): Deno.HttpServer {
  const handler = args.find((arg): arg is Deno.ServeHandler => typeof arg === "function") ??
    (args[0] as { handler?: Deno.ServeHandler } | undefined)?.handler;
  if (!handler) throw new Error("Deno.serve was called without a handler");
  const options = typeof args[0] === "object" && args[0] !== null ? (args[0] as Deno.ServeTcpOptions) : {};
  return serve({
    ...options,
    port,
    hostname: "127.0.0.1",
    onListen: (address) => console.log(JSON.stringify({ groundwork_function_ready: (address as Deno.NetAddr).port })),
  }, handler);
}

Object.defineProperty(Deno, "serve", { value: shimmedServe, configurable: true, writable: true });
