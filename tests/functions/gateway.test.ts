import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../scripts/lib/gateway.ts";
import { root } from "../../scripts/lib/paths.ts";
import { freePort } from "../../scripts/lib/proc.ts";
import { accessToken, apiKey, LOCAL_JWT_SECRET } from "../../scripts/lib/tokens.ts";
import { testEnv } from "../helpers/env.ts";

// A gateway of its own, serving health twice: once as configured (verify_jwt = false) and once
// under another name with verify_jwt = true, to test the gateway's JWT check.
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  const entrypoint = join(root, "functions", "health", "index.ts");
  gateway = await startGateway({
    port,
    jwtSecret: LOCAL_JWT_SECRET,
    quiet: true,
    functions: [
      { name: "health", verifyJwt: false, entrypoint },
      { name: "guarded", verifyJwt: true, entrypoint },
    ],
    env: {
      SUPABASE_URL: `http://127.0.0.1:${port}`,
      SUPABASE_DB_URL: testEnv.dbUrl,
      SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
    },
  });
  base = `http://127.0.0.1:${port}`;
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

    const expired = await fetch(`${base}/functions/v1/guarded`, { headers: { authorization: `Bearer ${await accessToken(user, { expiresIn: -5 })}` } });
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toMatch(/expired/);

    const forged = await fetch(`${base}/functions/v1/guarded`, {
      headers: { authorization: `Bearer ${await accessToken(user, { secret: "not-the-project-secret-but-long-enough" })}` },
    });
    expect(forged.status).toBe(401);
  });

  it("lets a valid user token or API key through", async () => {
    const asUser = await fetch(`${base}/functions/v1/guarded`, { headers: { authorization: `Bearer ${await accessToken(user)}` } });
    expect(asUser.status).toBe(200);
    const asAnon = await fetch(`${base}/functions/v1/guarded`, { headers: { authorization: `Bearer ${await apiKey("anon")}` } });
    expect(asAnon.status).toBe(200);
  });

  it("answers CORS preflights without a token", async () => {
    const response = await fetch(`${base}/functions/v1/guarded`, { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "POST" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toMatch(/apikey/);
  });

  it("forwards the path below the function name and the query string", async () => {
    const response = await fetch(`${base}/functions/v1/health/deep/path?x=1`);
    expect(response.status).toBe(200);
  });

  it("answers 404 for an unknown function", async () => {
    const response = await fetch(`${base}/functions/v1/nope`);
    expect(response.status).toBe(404);
    expect((await response.json()).error).toMatchObject({ code: "not_found", message: "There is no function named nope" });
  });

  it.each(["rest", "auth", "storage", "realtime", "graphql"])("answers 501 for /%s/v1, naming supabase start", async (service) => {
    const response = await fetch(`${base}/${service}/v1/anything`);
    expect(response.status).toBe(501);
    const { error } = await response.json();
    expect(error.code).toBe("not_implemented");
    expect(error.message).toMatch(/supabase start/);
  });

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
});
