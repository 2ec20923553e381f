/**
 * Organization API keys end to end, over HTTP through the gateway and Deno: a lab integration gets
 * a key limited to one permission, exchanges it for a token, and writes through the database as the
 * key's member; revocation, rotation, the IP allow-list and direct use; bursts cut per tenant; and
 * every bad input answers a clear 4xx and changes nothing.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { root } from "../../scripts/lib/paths.ts";
import { apiKey, asUser, createUser, testDb, type TestUser, tokenFor, userClaims } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";

const sql = testDb();
const fn = (path: string) => `${testEnv.apiUrl}/functions/v1/${path}`;

let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let stranger: TestUser;
let org: string;
let otherOrg: string;
let adminToken: string;
let anonKey: string;
/** Every whole key a test was shown, to look for in the logs. */
const issued: string[] = [];

async function keys(path: string, init: { token?: string; method?: string; body?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetch(fn(`api-keys${path}`), {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET"),
    headers,
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
}

async function createKey(body: Record<string, unknown>, token = adminToken): Promise<{ id: string; key: string }> {
  const response = await keys("", { token, body: { org_id: org, name: "Lab", ...body } });
  expect(response.status, await response.clone().text()).toBe(201);
  const answer = await response.json();
  issued.push(answer.key);
  return { id: answer.api_key.id, key: answer.key };
}

const exchange = (key: string) =>
  fetch(fn("token"), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_secret: key }),
  });

const count = async () => Number((await sql`select count(*) from public.api_keys where org_id = ${org}`)[0]!.count);

beforeAll(async () => {
  const users = await Promise.all([1, 2, 3, 4].map(() => createUser(sql)));
  [owner, admin, member, stranger] = [users[0]!, users[1]!, users[2]!, users[3]!];
  const slug = `keys-${crypto.randomUUID().slice(0, 8)}`;
  org =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Lab Co', ${slug}, ${owner.id}) returning id`)[
      0
    ]!
      .id;
  otherOrg = (await sql`insert into public.organizations (name, slug, created_by)
    values ('Other Co', ${`${slug}-b`}, ${stranger.id}) returning id`)[0]!.id;
  const roles = Object.fromEntries(
    (await sql`select key, id from public.roles where org_id = ${org}`).map((r) => [r.key, r.id]),
  );
  await sql`insert into public.members (org_id, user_id, role_id)
    values (${org}, ${admin.id}, ${roles.admin}), (${org}, ${member.id}, ${roles.member})`;
  adminToken = await tokenFor(admin);
  anonKey = await apiKey("anon");
});

describe("a lab integration, end to end", () => {
  it("an admin's key limited to one permission is exchanged for a token that writes as the key's member (RLS decides)", async () => {
    const created = await keys("", {
      token: adminToken,
      body: { org_id: org, name: "Lab results", permissions: [{ permission: "core.departments.manage" }] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("ratelimit-limit")).toBe("120");
    expect(Number(created.headers.get("ratelimit-remaining"))).toBeLessThan(120);
    const { api_key: apiKey, key } = await created.json();
    issued.push(key);
    expect(key).toMatch(/^gw_local_[a-z2-7]{8}_[a-z2-7]{32}$/);
    expect(apiKey.permissions).toEqual([{ permission: "core.departments.manage", scope: "org" }]);
    const [stored] = await sql`select prefix, secret_hash from public.api_keys where id = ${apiKey.id}`;
    expect(stored!.secret_hash).toBe(createHash("sha256").update(key.split("_")[3]).digest("hex"));
    expect(JSON.stringify(await sql`select * from public.api_keys where id = ${apiKey.id}`)).not.toContain(
      key.split("_")[3],
    );

    const exchanged = await exchange(key);
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get("cache-control")).toBe("no-store");
    const token = await exchanged.json();
    expect(token).toMatchObject({ token_type: "bearer", api_key_id: apiKey.id, org_id: org });
    expect(token.expires_in).toBeGreaterThan(890);

    // PostgREST verifies it with the project's secret and runs the request as its claims.
    const claims = await createVerifier({ secret: testEnv.jwtSecret })(token.access_token);
    expect(claims).toMatchObject({
      role: "authenticated",
      sub: apiKey.user_id,
      aud: "authenticated",
      api_key_id: apiKey.id,
    });
    const [department] = await asUser(
      sql,
      claims,
      (tx) => tx`insert into public.departments (org_id, name) values (${org}, 'Results') returning id`,
    );
    expect(department!.id).toBeDefined();
    await expect(
      asUser(
        sql,
        claims,
        (tx) => tx`insert into public.roles (org_id, key, name, rank) values (${org}, 'sneaky', 'Sneaky', 1)`,
      ),
    ).rejects.toMatchObject({
      code: "42501",
    });
    await expect(
      asUser(sql, claims, (tx) => tx`insert into public.departments (org_id, name) values (${otherOrg}, 'Elsewhere')`),
    ).rejects.toMatchObject({
      code: "42501",
    });
    const [audited] = await sql`select actor_id, api_key_id from audit.log
      where table_name = 'departments' and record_id = ${department!.id} and operation = 'INSERT'`;
    expect(audited).toEqual({ actor_id: apiKey.user_id, api_key_id: apiKey.id });
    const [use] = await sql`select use_count, host(last_used_ip) as ip from public.api_keys where id = ${apiKey.id}`;
    expect(use).toEqual({ use_count: "1", ip: "127.0.0.1" });

    // Revoked: the token already issued is refused by RLS at its next request, and the key everywhere.
    const revoked = await keys(`/${apiKey.id}/revoke`, { token: adminToken, method: "POST" });
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).api_key.revoked_at).not.toBeNull();
    await expect(
      asUser(
        sql,
        claims,
        (tx) => tx`insert into public.departments (org_id, name) values (${org}, 'After revocation')`,
      ),
    ).rejects.toMatchObject({
      code: "42501",
    });
    const refused = await exchange(key);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.message).toMatch(/revoked/);
    const direct = await fetch(fn("notifications/export"), {
      headers: { authorization: `Bearer ${anonKey}`, "x-api-key": key },
    });
    expect(direct.status).toBe(401);
  });

  it("accepts the key as client_secret in JSON, with HTTP Basic, and directly in x-api-key", async () => {
    const { key } = await createKey({ permissions: [{ permission: "core.members.read" }] });
    const prefix = key.split("_")[2]!;
    const json = await fetch(fn("token"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: prefix, client_secret: key }),
    });
    expect(json.status).toBe(200);
    const basic = await fetch(fn("token"), {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${prefix}:${key}`)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    expect(basic.status).toBe(200);
    const direct = await fetch(fn("notifications/export"), {
      headers: { authorization: `Bearer ${anonKey}`, "x-api-key": key },
    });
    expect(direct.status).toBe(200);
    // On a function whose verify_jwt is off, the key may be the bearer itself.
    const query =
      `resource_id=${crypto.randomUUID()}&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&duration_minutes=30`;
    const bearer = await fetch(fn(`scheduling/availability?${query}`), { headers: { authorization: `Bearer ${key}` } });
    expect(bearer.status, await bearer.clone().text()).toBe(404);
    const wrong = await fetch(fn(`scheduling/availability?${query}`), {
      headers: { authorization: `Bearer ${key.slice(0, -1)}${key.endsWith("x") ? "y" : "x"}` },
    });
    expect(wrong.status).toBe(401);
  });

  it("a rotated key's old secret works only in the overlap window", async () => {
    const { id, key: old } = await createKey({ permissions: [{ permission: "core.members.read" }] });
    const rotated = await keys(`/${id}/rotate`, { token: adminToken, body: { overlap_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    const { key: fresh, api_key: after } = await rotated.json();
    expect(fresh).not.toBe(old);
    expect(fresh.split("_")[2]).toBe(old.split("_")[2]);
    expect(after.previous_secret_expires_at).not.toBeNull();
    const early = await exchange(old);
    expect(early.status).toBe(200);
    expect((await early.json()).expires_in).toBeLessThanOrEqual(900);
    expect((await exchange(fresh)).status).toBe(200);
    await sql`update public.api_keys set previous_secret_expires_at = now() - interval '1 second' where id = ${id}`;
    expect((await exchange(old)).status).toBe(401);
    expect((await exchange(fresh)).status).toBe(200);
    // Without an overlap the old secret stops at once.
    const again = await keys(`/${id}/rotate`, { token: adminToken, body: { overlap_seconds: 0 } });
    expect((await exchange(fresh)).status).toBe(401);
    expect((await exchange((await again.json()).key)).status).toBe(200);
  });

  it("refuses a key outside its IP allow-list, and accepts it inside", async () => {
    const { id, key } = await createKey({
      permissions: [{ permission: "core.members.read" }],
      allowed_ips: ["10.0.0.0/8"],
    });
    const outside = await exchange(key);
    expect(outside.status).toBe(403);
    expect((await outside.json()).error.message).toMatch(/not allowed from this address/);
    const changed = await keys(`/${id}`, {
      token: adminToken,
      method: "PATCH",
      body: { allowed_ips: ["127.0.0.1/32"] },
    });
    expect(changed.status).toBe(200);
    expect((await exchange(key)).status).toBe(200);
  });

  it("lists the organization's keys to key managers only, without secrets", async () => {
    const listed = await keys(`?org_id=${org}`, { token: adminToken });
    expect(listed.status).toBe(200);
    const { api_keys: all } = await listed.json();
    expect(all.length).toBeGreaterThan(0);
    expect(JSON.stringify(all)).not.toMatch(/secret_hash|gw_local_/);
    const asMember = await keys(`?org_id=${org}`, { token: await tokenFor(member) });
    expect((await asMember.json()).api_keys).toEqual([]);
  });
});

describe("bad input answers a clear 4xx and changes nothing", () => {
  it("on the token exchange", async () => {
    const cases: [RequestInit, number][] = [
      [{ headers: { "content-type": "application/json" }, body: "{" }, 400],
      [{ headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "password" }) }, 422],
      [
        { headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "client_credentials" }) },
        401,
      ],
      [{
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials", client_secret: "gw_local_abc" }),
      }, 401],
      [{
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "client_credentials",
          client_secret: `gw_local_aaaaaaaa_${"a".repeat(32)}`,
        }),
      }, 401],
      [
        { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials%00" },
        422,
      ],
      [{ headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: 3 }) }, 422],
      [
        { headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "x".repeat(5000) }) },
        413,
      ],
      [{ headers: { "content-type": "text/plain" }, body: "grant_type=client_credentials" }, 415],
    ];
    for (const [init, status] of cases) {
      const response = await fetch(fn("token"), { method: "POST", ...init });
      expect(response.status, String(init.body).slice(0, 60)).toBe(status);
      expect((await response.json()).error.code).toBeTypeOf("string");
    }
  });

  it("on the key routes: wrong types, missing fields, NUL, oversize, another tenant's ids, permissions not held", async () => {
    const before = await count();
    const bad: [unknown, number][] = [
      [{ org_id: org, name: "X" }, 422],
      [{ org_id: org, name: 5, permissions: [{ permission: "core.members.read" }] }, 422],
      [{ org_id: org, name: "X\u0000", permissions: [{ permission: "core.members.read" }] }, 422],
      [{ org_id: org, name: "X", permissions: [{ permission: "core.members.read", scope: "galaxy" }] }, 422],
      [{ org_id: org, name: "X", permissions: [{ permission: "core.members.read" }], allowed_ips: ["not-an-ip"] }, 422],
      [{ org_id: org, name: "X", permissions: [{ permission: "core.org.delete" }] }, 403],
      [{ org_id: org, name: "X", permissions: [{ permission: "core.api_keys.manage" }] }, 403],
      [{ org_id: otherOrg, name: "X", permissions: [{ permission: "core.members.read" }] }, 403],
      [{
        org_id: org,
        name: "X",
        permissions: [{ permission: "core.members.read" }],
        expires_at: "2001-01-01T00:00:00Z",
      }, 422],
      [{ org_id: org, name: "x".repeat(20_000), permissions: [] }, 413],
    ];
    for (const [body, status] of bad) {
      const response = await keys("", { token: adminToken, body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
    }
    expect((await keys("", { token: adminToken, raw: "{not json" })).status).toBe(400);
    expect(
      (await keys("", {
        token: await tokenFor(member),
        body: { org_id: org, name: "X", permissions: [{ permission: "core.members.read" }] },
      }))
        .status,
    ).toBe(403);
    expect(await count()).toBe(before);

    // A key of another organization, made by its owner.
    const prefix = "abcdefgh".split("").sort(() => Math.random() - 0.5).join("");
    const [theirs] = await asUser(
      sql,
      userClaims(stranger),
      (tx) =>
        tx`select id from private.create_api_key(${otherOrg}, 'Theirs', 'test', ${prefix}, ${"s".repeat(32)},
        '[{"permission": "core.members.read", "scope": "org"}]'::jsonb)`,
    );
    const foreign = theirs!.id as string;
    for (const path of [`/${foreign}/rotate`, `/${foreign}/revoke`]) {
      expect((await keys(path, { token: adminToken, method: "POST" })).status).toBe(404);
    }
    expect((await keys(`/${foreign}`, { token: adminToken })).status).toBe(404);
    expect((await keys(`/${foreign}`, { token: adminToken, method: "PATCH", body: { name: "Mine" } })).status).toBe(
      404,
    );
    expect((await keys(`/not-a-uuid/revoke`, { token: adminToken, method: "POST" })).status).toBe(422);
    expect((await keys(`/${foreign}/rotate`, { token: adminToken, body: { overlap_seconds: -1 } })).status).toBe(422);
  });
});

/**
 * Limits count in fixed windows aligned to the clock: a burst that straddles a window's edge starts
 * over in the next one. Start bursts well inside a window.
 */
async function insideWindow(seconds: number, margin = 10): Promise<void> {
  const left = seconds - ((Date.now() / 1000) % seconds);
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, (left + 1) * 1000));
}

describe("request limits", () => {
  it("cut a burst with 429, Retry-After and RateLimit-*, per tenant", async () => {
    await insideWindow(60);
    await sql`insert into private.request_limits (subject, route, org_id, max_hits, per)
      values ('org', 'api-keys POST /', ${org}, 2, interval '1 minute')
      on conflict (subject, route, org_id) do update set max_hits = 2`;
    try {
      const ownerToken = await tokenFor(owner);
      const body = { org_id: org, name: "Burst", permissions: [{ permission: "core.members.read" }] };
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await keys("", { token: ownerToken, body }));
      expect(answers.map((r) => r.status)).toEqual([201, 201, 429]);
      const cut = answers[2]!;
      expect(Number(cut.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(cut.headers.get("ratelimit-limit")).toBe("2");
      expect(cut.headers.get("ratelimit-remaining")).toBe("0");
      expect(cut.headers.get("ratelimit-policy")).toBe("2;w=60");
      expect((await cut.json()).error).toMatchObject({ code: "rate_limited", details: { subject: "org" } });
      // Another organization's owner is not blocked by this one's burst.
      const theirs = await keys("", {
        token: await tokenFor(stranger),
        body: { ...body, org_id: otherOrg },
      });
      expect(theirs.status).toBe(201);
    } finally {
      await sql`delete from private.request_limits where org_id = ${org}`;
    }
  });

  it("hold a key to its own limit, without touching another key", async () => {
    const slow = await createKey({ permissions: [{ permission: "core.members.read" }], rate_limit_per_minute: 1 });
    const other = await createKey({ permissions: [{ permission: "core.members.read" }] });
    const post = (key: string) =>
      fetch(fn(`api-keys/${crypto.randomUUID()}/revoke`), {
        method: "POST",
        headers: { authorization: `Bearer ${anonKey}`, "x-api-key": key },
      });
    await insideWindow(60);
    expect((await post(slow.key)).status).toBe(404);
    const cut = await post(slow.key);
    expect(cut.status).toBe(429);
    expect(cut.headers.get("retry-after")).not.toBeNull();
    expect((await post(other.key)).status).toBe(404);
  });
});

it("never writes a key to the logs, whose lines are JSON with the request id", () => {
  const text = readFileSync(join(process.env.GROUNDWORK_TEST_LOG_DIR!, "functions.log"), "utf8");
  expect(issued.length).toBeGreaterThan(5);
  for (const key of issued) expect(text).not.toContain(key.split("_")[3]!);
  const lines = text.split("\n").filter((line) => /"function":"(token|api-keys)"/.test(line));
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(JSON.parse(line).request_id).toMatch(/^[0-9a-f-]{36}$/);
});

it("puts the key routes and the token exchange in openapi.json", () => {
  const document = JSON.parse(readFileSync(join(root, "functions", "openapi.json"), "utf8"));
  for (const path of ["/api-keys", "/api-keys/{id}", "/api-keys/{id}/rotate", "/api-keys/{id}/revoke", "/token"]) {
    expect(Object.keys(document.paths)).toContain(path);
  }
  expect(Object.keys(document.paths["/token"].post.requestBody.content)).toContain("application/x-www-form-urlencoded");
});
