/**
 * Preloaded into each function process by the native gateway (deno run --preload). Supabase's
 * edge runtime ignores the port a function asks for and routes to it; here every function's
 * Deno.serve listens on the loopback port the gateway chose (GROUNDWORK_FUNCTION_PORT), so
 * index.ts runs unchanged.
 */
const port = Number(Deno.env.get("GROUNDWORK_FUNCTION_PORT"));
const serve = Deno.serve.bind(Deno) as (options: Deno.ServeTcpOptions, handler: Deno.ServeHandler) => Deno.HttpServer;

function shimmedServe(...args: unknown[]): Deno.HttpServer {
  const handler = args.find((arg): arg is Deno.ServeHandler => typeof arg === "function") ??
    (args[0] as { handler?: Deno.ServeHandler } | undefined)?.handler;
  if (!handler) throw new Error("Deno.serve was called without a handler");
  const options = typeof args[0] === "object" && args[0] !== null ? (args[0] as Deno.ServeTcpOptions) : {};
  return serve({ ...options, port, hostname: "127.0.0.1", onListen: () => {} }, handler);
}

Object.defineProperty(Deno, "serve", { value: shimmedServe, configurable: true, writable: true });
