/**
 * The native functions gateway: Supabase's API gateway, for edge functions only.
 * - Each function runs in its own Deno process (its real index.ts, on a private loopback port).
 * - /functions/v1/<name>[/...] is proxied to it, after JWT verification when the function's
 *   verify_jwt is on (config.toml), exactly as Supabase's gateway does.
 * - CORS preflights are answered; /rest, /auth, /storage, /realtime and /graphql answer 501.
 * - A function process that dies is restarted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { authenticate, createVerifier, type Verifier } from "../../functions/_shared/auth.ts";
import { errorBody, HttpError, toHttpError } from "../../functions/_shared/errors.ts";
import { CORS_HEADERS, requestIdOf } from "../../functions/_shared/http.ts";
import type { FunctionConfig } from "./config.ts";
import { bin, root } from "./paths.ts";

export interface GatewayOptions {
  /** The port to listen on; 0 lets the system choose (the chosen port is Gateway.port). */
  port: number;
  functions: FunctionConfig[];
  /** Environment given to every function (SUPABASE_URL, SUPABASE_DB_URL, keys, ...). */
  env: Record<string, string>;
  jwtSecret: string;
  /** Where function output goes: inherited (default) or discarded. */
  quiet?: boolean;
}

interface Worker {
  config: FunctionConfig;
  /** The port the function's Deno process reported on its ready line (undefined while it starts). */
  port?: number;
  child?: ChildProcess;
  stopping: boolean;
}

/** The gateway process's ready line (followed by its port), printed once every function listens. */
export const GATEWAY_READY = "groundwork gateway ready on port";

/** What a function process prints once its server listens (scripts/deno-serve-shim.ts). */
const READY_KEY = "groundwork_function_ready";

export interface Gateway {
  port: number;
  /** The pid of each function's Deno process. */
  pids(): Record<string, number | undefined>;
  close(): Promise<void>;
}

const UNSUPPORTED: Record<string, string> = {
  rest: "the REST API (PostgREST)",
  auth: "Supabase Auth",
  storage: "Supabase Storage",
  realtime: "Supabase Realtime",
  graphql: "the GraphQL API",
};

/**
 * Starts a function's Deno process on a port it picks itself; resolves with that port once the
 * process reports it, rejects if the process exits first. A process that dies later is restarted.
 */
function startWorker(worker: Worker, options: GatewayOptions): Promise<number> {
  worker.port = undefined;
  const child = spawn(
    bin("deno"),
    [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      "--preload",
      join(root, "scripts", "deno-serve-shim.ts"),
      worker.config.entrypoint,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        ...options.env,
        GROUNDWORK_FUNCTION_PORT: "0",
        GROUNDWORK_FUNCTION_NAME: worker.config.name,
      },
      stdio: ["ignore", "pipe", options.quiet ? "ignore" : "inherit"],
    },
  );
  worker.child = child;
  return new Promise<number>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes(READY_KEY)) {
        try {
          const port = (JSON.parse(line) as Record<string, unknown>)[READY_KEY];
          if (typeof port === "number") {
            worker.port = port;
            return resolvePromise(port);
          }
        } catch {
          // not our line: pass it on
        }
      }
      if (!options.quiet) process.stdout.write(`${line}\n`);
    });
    child.on("exit", (code, signal) => {
      worker.port = undefined;
      reject(new Error(`function ${worker.config.name} exited before it listened (code ${code}, signal ${signal})`));
      if (worker.stopping) return;
      console.error(
        JSON.stringify({
          time: new Date().toISOString(),
          level: "error",
          message: "function process exited; restarting",
          function: worker.config.name,
          code,
          signal,
        }),
      );
      setTimeout(() => !worker.stopping && startWorker(worker, options).catch(() => {}), 1000);
    });
  });
}

/** The connection's remote address, IPv4-mapped IPv6 written as IPv4. */
function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, "");
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...CORS_HEADERS, ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: HttpError, requestId: string): void {
  send(res, error.status, errorBody(error), { ...error.headers, "x-request-id": requestId });
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  return new Request(`http://gateway${req.url ?? "/"}`, { method: "GET", headers });
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  workers: Map<string, Worker>,
  verify: Verifier,
): Promise<void> {
  const requestId = requestIdOf(toRequest(req));
  const url = new URL(req.url ?? "/", "http://gateway");
  // The API document lives in the docs function; /functions/v1/openapi.json is its short address.
  if (url.pathname === "/functions/v1/openapi.json") url.pathname = "/functions/v1/docs/openapi.json";
  const [, service, version, name] = url.pathname.split("/");
  if (service && version === "v1" && UNSUPPORTED[service]) {
    return sendError(
      res,
      new HttpError(
        501,
        "not_implemented",
        `${UNSUPPORTED[service]} is not part of the native stack; run \`supabase start\` (Docker) for /${service}/v1`,
      ),
      requestId,
    );
  }
  if (service !== "functions" || version !== "v1" || !name) {
    return sendError(
      res,
      new HttpError(404, "not_found", `Nothing is served at ${url.pathname}; functions live at /functions/v1/<name>`),
      requestId,
    );
  }
  const worker = workers.get(name);
  if (!worker) return sendError(res, new HttpError(404, "not_found", `There is no function named ${name}`), requestId);
  if (worker.port === undefined) {
    return sendError(
      res,
      new HttpError(503, "function_unavailable", `The function ${name} is starting; try again in a moment`, undefined, {
        "retry-after": "1",
      }),
      requestId,
    );
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204, { ...CORS_HEADERS, "x-request-id": requestId });
    return void res.end();
  }
  if (worker.config.verifyJwt) {
    try {
      await authenticate(toRequest(req), verify);
    } catch (error) {
      return sendError(res, toHttpError(error), requestId);
    }
  }
  const upstream = httpRequest(
    {
      host: "127.0.0.1",
      port: worker.port,
      method: req.method,
      path: url.pathname + url.search,
      // As Supabase's gateway does, the client's address is set from the connection, never taken from the caller.
      headers: { ...req.headers, "x-request-id": requestId, "x-real-ip": clientAddress(req) },
    },
    (answer) => {
      const headers = { ...answer.headers };
      for (const [header, value] of Object.entries(CORS_HEADERS)) headers[header] ??= value;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) {
      sendError(
        res,
        new HttpError(503, "function_unavailable", `The function ${name} is not running; try again in a moment`),
        requestId,
      );
    } else res.destroy();
  });
  req.pipe(upstream);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const verify = createVerifier({ secret: options.jwtSecret });
  const workers = new Map<string, Worker>();
  for (const config of options.functions) workers.set(config.name, { config, stopping: false });
  const server: Server = createServer((req, res) => {
    route(req, res, workers, verify).catch((error) => {
      if (!res.headersSent) sendError(res, toHttpError(error), "gateway");
    });
  });
  try {
    // The gateway binds its own port (0: any free one) before anything learns it, so no other
    // process can take it in between; functions are told the URL they are served at.
    await new Promise<void>((resolvePromise, reject) => {
      server.once("error", reject);
      server.listen(options.port, "127.0.0.1", resolvePromise);
    });
    const port = (server.address() as AddressInfo).port;
    const env = options.port === 0 || !options.env.SUPABASE_URL
      ? { ...options.env, SUPABASE_URL: `http://127.0.0.1:${port}` }
      : options.env;
    await Promise.all(
      [...workers.values()].map((worker) =>
        withTimeout(startWorker(worker, { ...options, env }), 60_000, `function ${worker.config.name}`)
      ),
    );
    return {
      port,
      pids: () => Object.fromEntries([...workers].map(([name, w]) => [name, w.child?.pid])),
      close: () => closeAll(server, workers),
    };
  } catch (error) {
    await closeAll(server, workers);
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not report ready within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function closeAll(server: Server, workers: Map<string, Worker>): Promise<void> {
  for (const worker of workers.values()) {
    worker.stopping = true;
    worker.child?.kill("SIGTERM");
  }
  if (!server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
}
