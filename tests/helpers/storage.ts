/**
 * A local HTTP server that checks each request against Supabase's documented Storage API (method,
 * path, headers, body) and keeps objects in memory. Anything it does not recognise is recorded as
 * a violation, which tests assert is empty. It stands in only for the HTTP side of Storage; what
 * Storage does to the database (inserting into storage.objects as the caller) the tests do as
 * the caller.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface StorageServer {
  url: string;
  objects: Map<string, Uint8Array>;
  requests: { method: string; path: string; body: unknown }[];
  /** Objects written through the upload route: where, with which media type, whether upsert was asked. */
  uploads: { path: string; type: string; upsert: boolean }[];
  /** When true, downloads answer 200 with an empty body (a Storage hiccup a confirm must not trust). */
  emptyDownloads: boolean;
  violations: string[];
  /** Answer every request with this status until cleared (a Storage outage). */
  failWith: number | null;
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

export async function startStorageServer(serviceKey: string): Promise<StorageServer> {
  const state: StorageServer = {
    url: "",
    objects: new Map(),
    requests: [],
    uploads: [],
    violations: [],
    failWith: null,
    emptyDownloads: false,
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const raw = await read(req);
    const url = new URL(req.url ?? "/", "http://storage");
    const path = decodeURIComponent(url.pathname);
    let body: unknown = null;
    if (
      raw.length && req.headers["content-type"]?.startsWith("application/json") &&
      !/^\/storage\/v1\/object\/(?!sign\/)[^/]+\/./.test(path)
    ) {
      body = JSON.parse(raw.toString("utf8"));
    }
    state.requests.push({ method: req.method ?? "", path, body });
    const reply = (status: number, payload: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
    if (req.headers.authorization !== `Bearer ${serviceKey}` || req.headers.apikey !== serviceKey) {
      state.violations.push(`${req.method} ${path}: missing the service role's Authorization and apikey headers`);
      return reply(401, { error: "Unauthorized" });
    }
    if (state.failWith) return reply(state.failWith, { error: "Storage is down" });
    let match: RegExpExecArray | null;
    if (req.method === "POST" && (match = /^\/storage\/v1\/object\/upload\/sign\/([^/]+)\/(.+)$/.exec(path))) {
      if (req.headers["x-upsert"] !== "false") state.violations.push("signUpload: x-upsert should be false");
      return reply(200, {
        url: `/object/upload/sign/${match[1]}/${encodeURI(match[2]!)}?token=signed-${
          Buffer.from(match[2]!).toString("base64url")
        }`,
      });
    }
    if (req.method === "GET" && (match = /^\/storage\/v1\/object\/([^/]+)\/(.+)$/.exec(path))) {
      const bytes = state.objects.get(`${match[1]}/${match[2]}`);
      if (!bytes) return reply(400, { statusCode: "404", error: "not_found", message: "Object not found" });
      if (state.emptyDownloads) return res.writeHead(200, { "content-type": "application/octet-stream" }).end();
      return res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(bytes));
    }
    if (req.method === "POST" && (match = /^\/storage\/v1\/object\/sign\/([^/]+)\/(.+)$/.exec(path))) {
      const expiresIn = (body as { expiresIn?: unknown })?.expiresIn;
      if (typeof expiresIn !== "number" || expiresIn < 1) {
        state.violations.push("sign: the body must be { expiresIn: seconds }");
      }
      if (!state.objects.has(`${match[1]}/${match[2]}`)) {
        return reply(400, { statusCode: "404", error: "not_found", message: "Object not found" });
      }
      return reply(200, {
        signedURL: `/object/sign/${match[1]}/${encodeURI(match[2]!)}?token=signed-${
          Buffer.from(match[2]!).toString("base64url")
        }`,
      });
    }
    if (req.method === "POST" && (match = /^\/storage\/v1\/object\/([^/]+)\/(.+)$/.exec(path))) {
      if (!req.headers["content-type"]) state.violations.push("upload: no content-type");
      state.objects.set(`${match[1]}/${match[2]}`, new Uint8Array(raw));
      state.uploads.push({
        path: `${match[1]}/${match[2]}`,
        type: String(req.headers["content-type"]),
        upsert: req.headers["x-upsert"] === "true",
      });
      return reply(200, { Key: `${match[1]}/${match[2]}`, Id: crypto.randomUUID() });
    }
    if (req.method === "DELETE" && (match = /^\/storage\/v1\/object\/([^/]+)$/.exec(path))) {
      const prefixes = (body as { prefixes?: unknown })?.prefixes;
      if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== "string")) {
        state.violations.push("remove: the body must be { prefixes: string[] }");
        return reply(400, { error: "invalid body" });
      }
      const removed = (prefixes as string[]).filter((p) => state.objects.delete(`${match![1]}/${p}`)).map((name) => ({
        name,
        bucket_id: match![1],
      }));
      return reply(200, removed);
    }
    state.violations.push(`${req.method} ${path}: not a Storage API call this project makes`);
    return reply(400, { error: "unknown route" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
