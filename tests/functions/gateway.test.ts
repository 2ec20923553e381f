import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { type Gateway, startGateway } from "../../scripts/lib/gateway.ts";
import { startGatewayProcess } from "../../scripts/lib/services.ts";
import { root } from "../../scripts/lib/paths.ts";
import { accessToken, apiKey, LOCAL_JWT_SECRET } from "../../scripts/lib/tokens.ts";
import { testEnv } from "../helpers/env.ts";

// A gateway of its own, serving health twice: once as configured (verify_jwt = false) and once
// under another name with verify_jwt = true, to test the gateway's JWT check.
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  const entrypoint = join(root, "functions", "health", "index.ts");
  gateway = await startGateway({
    port: 0,
    jwtSecret: LOCAL_JWT_SECRET,
    quiet: true,
    functions: [
      { name: "health", verifyJwt: false, entrypoint },
      { name: "guarded", verifyJwt: true, entrypoint },
    ],
    env: {
      SUPABASE_DB_URL: testEnv.dbUrl,
      SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
      // health checks the mail transport: the test stack's mail catcher.
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: process.env.SMTP_PORT ?? "",
    },
  });
  base = `http://127.0.0.1:${gateway.port}`;
}, 90_000);
afterAll(() => gateway?.close());

const user = { id: "2b8b8e2b-0c11-4a57-9d1e-7f9c0c4e1f7e", email: "gate@example.test" };

describe("the native functions gateway", () => {
  it("passes requests to a function without verify_jwt", async () => {
    expect((await fetch(`${base}/functions/v1/health`)).status).toBe(200);
  });

  it("requires a valid JWT for a function with verify_jwt", async () => {
    const missing = await fetch(`${base}/functions/v1/guarded`);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.code).toBe("unauthorized");

    const expired = await fetch(`${base}/functions/v1/guarded`, {
      headers: { authorization: `Bearer ${await accessToken(user, { expiresIn: -5 })}` },
    });
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toMatch(/expired/);

    const forged = await fetch(`${base}/functions/v1/guarded`, {
      headers: {
        authorization: `Bearer ${await accessToken(user, { secret: "not-the-project-secret-but-long-enough" })}`,
      },
    });
    expect(forged.status).toBe(401);
  });

  it("lets a valid user token or API key through", async () => {
    const asUser = await fetch(`${base}/functions/v1/guarded`, {
      headers: { authorization: `Bearer ${await accessToken(user)}` },
    });
    expect(asUser.status).toBe(200);
    const asAnon = await fetch(`${base}/functions/v1/guarded`, {
      headers: { authorization: `Bearer ${await apiKey("anon")}` },
    });
    expect(asAnon.status).toBe(200);
  });

  it("answers CORS preflights without a token", async () => {
    const response = await fetch(`${base}/functions/v1/guarded`, {
      method: "OPTIONS",
      headers: { origin: "http://app.test", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toMatch(/apikey/);
  });

  it("forwards the path below the function name and the query string", async () => {
    const response = await fetch(`${base}/functions/v1/health?x=1`);
    expect(response.status).toBe(200);
    // A path the function does not serve reaches it whole: its own 404 names the path.
    const deeper = await fetch(`${base}/functions/v1/health/deep/path?x=1`);
    expect(deeper.status).toBe(404);
    expect((await deeper.json()).error.message).toBe("Nothing is served at /functions/v1/health/deep/path");
  });

  it("answers 404 for an unknown function", async () => {
    const response = await fetch(`${base}/functions/v1/nope`);
    expect(response.status).toBe(404);
    expect((await response.json()).error).toMatchObject({
      code: "not_found",
      message: "There is no function named nope",
    });
  });

  it.each(["rest", "auth", "storage", "realtime", "graphql"])(
    "answers 501 for /%s/v1, naming supabase start",
    async (service) => {
      const response = await fetch(`${base}/${service}/v1/anything`);
      expect(response.status).toBe(501);
      const { error } = await response.json();
      expect(error.code).toBe("not_implemented");
      expect(error.message).toMatch(/supabase start/);
    },
  );

  it("restarts a function process that dies", async () => {
    const before = gateway.pids().health;
    expect(before).toBeGreaterThan(0);
    process.kill(before!, "SIGKILL");
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await fetch(`${base}/functions/v1/health`).catch(() => ({ status: 0 }))).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    expect(gateway.pids().health).not.toBe(before);
  });

  it("binds the port it was given as 0 itself and reports it (no pick-then-bind race)", async () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect((await fetch(`${base}/functions/v1/health`)).status).toBe(200);
  });

  it("fails fast, naming the cause, when its port is taken by another process", async () => {
    const squatter = createServer((socket) => socket.end("not a gateway\n"));
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const taken = (squatter.address() as { port: number }).port;
    try {
      await expect(startGateway({ port: taken, jwtSecret: LOCAL_JWT_SECRET, quiet: true, functions: [], env: {} }))
        .rejects.toThrow(/EADDRINUSE/);
      const started = Date.now();
      const logDir = mkdtempSync(join(tmpdir(), "groundwork-gateway-"));
      await expect(startGatewayProcess(taken, [], {}, { logDir })).rejects.toThrow(/stopped while starting/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      squatter.close();
    }
  }, 30_000);
});
