import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineRoute, FunctionApp } from "../../functions/_shared/app.ts";
import { conflict } from "../../functions/_shared/errors.ts";
import { json } from "../../functions/_shared/http.ts";
import { logSink, redactFields, redactPath } from "../../functions/_shared/log.ts";

const Body = z.object({ name: z.string().min(1), seats: z.number().int().positive() });

const createTeam = defineRoute({
  name: "createTeam",
  method: "post",
  path: "/",
  summary: "Create a team",
  access: "public",
  body: Body,
  responses: { 201: { description: "Created", schema: Body } },
});
const listTeams = defineRoute({
  name: "listTeams",
  method: "get",
  path: "/",
  summary: "A page of teams",
  access: "public",
  query: z.object({ page: z.coerce.number().int().min(1) }),
  responses: { 200: { description: "The page" } },
});

const handler = new FunctionApp({ name: "probe", description: "A probe of the pipeline", maxBodyBytes: 64 })
  .route(createTeam, async (_c, { body }) => {
    if (body.name === "taken") throw conflict("Cannot create the team: the name is taken");
    if (body.name === "boom") throw new Error("database password is hunter2");
    return json(body, { status: 201 });
  })
  .route(listTeams, async (_c, { query }) => json(query))
  .handler({});

function post(
  body: BodyInit | null,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<Response> {
  return handler(new Request("http://local/functions/v1/probe", { method: "POST", body, headers }));
}

const lines: string[] = [];
const original = logSink.write;
logSink.write = (line) => lines.push(line);
afterEach(() => {
  lines.length = 0;
});
process.on("exit", () => (logSink.write = original));

describe("the function pipeline (FunctionApp)", () => {
  it("runs the function and answers with a request id and CORS headers", async () => {
    const response = await post(JSON.stringify({ name: "Ops", seats: 3 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: "Ops", seats: 3 });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("keeps a well-formed request id from the caller and logs one JSON line with it", async () => {
    const response = await post(JSON.stringify({ name: "Ops", seats: 3 }), {
      "content-type": "application/json",
      "x-request-id": "req-12345678",
    });
    expect(response.headers.get("x-request-id")).toBe("req-12345678");
    const entry = JSON.parse(lines.at(-1)!);
    expect(entry).toMatchObject({
      level: "info",
      function: "probe",
      request_id: "req-12345678",
      method: "POST",
      status: 201,
    });
  });

  it("replaces a malformed request id", async () => {
    const response = await post(JSON.stringify({ name: "Ops", seats: 3 }), {
      "content-type": "application/json",
      "x-request-id": "bad id <script>",
    });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 400 for malformed JSON", async () => {
    const response = await post("{ name: ");
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      code: "bad_request",
      message: "Cannot accept the request: the body is not valid JSON",
    });
  });

  it("answers 400 for an empty body", async () => {
    expect((await post("")).status).toBe(400);
  });

  it("answers 415 when the body is not JSON", async () => {
    const response = await post("name=x", { "content-type": "application/x-www-form-urlencoded" });
    expect(response.status).toBe(415);
  });

  it("answers 422 with each problem for wrong types and missing fields", async () => {
    const response = await post(JSON.stringify({ name: 42 }));
    expect(response.status).toBe(422);
    const { error } = await response.json();
    expect(error.code).toBe("validation_failed");
    expect(error.details.map((d: { path: string }) => d.path).sort()).toEqual(["name", "seats"]);
  });

  it("answers 422 for a JSON value that is not an object", async () => {
    expect((await post("[1,2]")).status).toBe(422);
  });

  it("answers 413 when Content-Length is over the limit", async () => {
    const response = await post(JSON.stringify({ name: "x".repeat(100), seats: 1 }));
    expect(response.status).toBe(413);
    expect((await response.json()).error.details).toEqual({ max_bytes: 64 });
  });

  it("answers 413 when a streamed body without Content-Length grows past the limit", async () => {
    const chunks = [
      new TextEncoder().encode('{"name":"'),
      new TextEncoder().encode("y".repeat(80)),
      new TextEncoder().encode('","seats":1}'),
    ];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const request = new Request("http://local/functions/v1/probe", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect((await handler(request)).status).toBe(413);
  });

  it("answers 400 for a body that is not UTF-8", async () => {
    expect((await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).status).toBe(400);
  });

  it("answers 405 with Allow for other methods", async () => {
    const response = await handler(new Request("http://local/functions/v1/probe", { method: "DELETE" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, GET, OPTIONS");
  });

  it("answers a CORS preflight with 204", async () => {
    const response = await handler(new Request("http://local/functions/v1/probe", { method: "OPTIONS" }));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/authorization/);
  });

  it("validates the query string (422 on a bad value)", async () => {
    expect((await handler(new Request("http://local/functions/v1/probe?page=2"))).status).toBe(200);
    expect((await handler(new Request("http://local/functions/v1/probe?page=zero"))).status).toBe(422);
  });

  it("passes an HttpError through with its status", async () => {
    const response = await post(JSON.stringify({ name: "taken", seats: 1 }));
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: "conflict", message: "Cannot create the team: the name is taken" },
    });
  });

  it("answers 500 without leaking the cause, and logs the cause with the request id", async () => {
    const response = await post(JSON.stringify({ name: "boom", seats: 1 }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toMatch(/hunter2/);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.level === "error");
    expect(logged).toMatchObject({
      error_message: "database password is hunter2",
      request_id: response.headers.get("x-request-id"),
    });
  });
});

describe("NUL characters (PostgreSQL text cannot hold them)", () => {
  it("answers 422 naming the field, before anything reaches the database", async () => {
    const response = await post(JSON.stringify({ name: "Ops\u0000", seats: 3 }));
    expect(response.status).toBe(422);
    const { error } = await response.json();
    expect(error.message).toBe("Cannot accept the request body: text may not contain the NUL character (\\u0000)");
    expect(error.details).toEqual([{ path: "name", message: "contains a NUL character" }]);
  });
  it("in the query string too", async () => {
    const response = await handler(new Request("http://local/functions/v1/probe?page=1%00"));
    expect(response.status).toBe(422);
  });
});

describe("logs hold no secrets", () => {
  it("redacts token-like path segments but keeps ids and names", () => {
    const token = "Zq3xR8kP0wLm2VbN7cTy5uHs9JdFgAeQ1oIiKlMnBvC";
    expect(redactPath(`/functions/v1/scheduling/feeds/${token}.ics`)).toBe(
      "/functions/v1/scheduling/feeds/[redacted].ics",
    );
    expect(redactPath("/functions/v1/documents/8b9f0c1e-1d2a-4c3b-9a8e-123456789abc/uploads")).toBe(
      "/functions/v1/documents/8b9f0c1e-1d2a-4c3b-9a8e-123456789abc/uploads",
    );
    expect(redactPath("/functions/v1/documents-purge")).toBe("/functions/v1/documents-purge");
  });
  it("replaces fields named like a secret", () => {
    expect(redactFields({ token: "abc", authorization: "Bearer x", api_key: "k", dispatch_secret: "s", status: 200 }))
      .toEqual({
        token: "[redacted]",
        authorization: "[redacted]",
        api_key: "[redacted]",
        dispatch_secret: "[redacted]",
        status: 200,
      });
  });
  it("writes the request line with the path redacted", async () => {
    const token = "Zq3xR8kP0wLm2VbN7cTy5uHs9JdFgAeQ1oIiKlMnBvC";
    await handler(new Request(`http://local/functions/v1/probe/feeds/${token}.ics?page=1`));
    expect(lines.join("\n")).not.toContain(token);
    expect(lines.some((l) => JSON.parse(l).path === "/functions/v1/probe/feeds/[redacted].ics")).toBe(true);
  });
});
