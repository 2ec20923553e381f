import { type AddressInfo, createServer } from "node:net";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { health, HealthResponse } from "../../functions/health/routes.ts";
import { testDb } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";

const createHealthHandler = (deps: Parameters<typeof health.handler>[0]) => health.handler(deps);
const handler = (request: Request) => createHealthHandler({ sql: testDb() })(request);

describe("health, in-process", () => {
  it("reports the database and the last applied migration", async () => {
    const response = await handler(new Request("http://local/functions/v1/health"));
    expect(response.status).toBe(200);
    const body = HealthResponse.parse(await response.json());
    const [last] =
      await testDb()`select version, name from supabase_migrations.schema_migrations order by version desc limit 1`;
    expect(body.migration).toEqual({ version: last!.version, name: last!.name });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  describe("when the database is down", () => {
    const down = postgres("postgresql://postgres:postgres@127.0.0.1:1/postgres", { max: 1, connect_timeout: 2 });
    afterAll(() => down.end());

    it("answers 503 in the shared error shape", async () => {
      const response = await createHealthHandler({ sql: down })(new Request("http://local/functions/v1/health"));
      expect(response.status).toBe(503);
      const body = await response.json();
      expect(body).toEqual({
        error: {
          code: "database_unavailable",
          message: "Cannot reach the database",
          details: { reason: "ECONNREFUSED" },
        },
      });
      expect(response.headers.get("x-request-id")).toBeTruthy();
    });
  });

  it("answers 503 when the database does not answer in time", async () => {
    // A real server that accepts connections and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    const hung = postgres(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 1, connect_timeout: 30 });
    try {
      const response = await createHealthHandler({ sql: hung, timeoutMs: 200 })(
        new Request("http://local/functions/v1/health"),
      );
      expect(response.status).toBe(503);
      expect((await response.json()).error.details).toEqual({ reason: "timeout" });
    } finally {
      await hung.end({ timeout: 0 });
      silent.close();
    }
  });

  it("answers 405 to anything but GET", async () => {
    expect((await handler(new Request("http://local/functions/v1/health", { method: "POST", body: "{}" }))).status)
      .toBe(405);
  });
});

describe("health, over HTTP through the gateway and Deno", () => {
  it("answers 200 with JSON and a request id", async () => {
    const response = await fetch(`${testEnv.apiUrl}/functions/v1/health`, {
      headers: { "x-request-id": "http-test-0001" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(response.headers.get("x-request-id")).toBe("http-test-0001");
    const body = HealthResponse.parse(await response.json());
    expect(body.migration?.name).toBeTruthy();
  });
});
