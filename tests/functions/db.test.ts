import { describe, expect, it } from "vitest";
import { asCaller, callerRequest } from "../../functions/_shared/db.ts";
import { HttpError } from "../../functions/_shared/errors.ts";
import { anonClaims, createUser, serviceClaims, testDb, userClaims } from "../helpers/db.ts";

describe("asCaller runs one transaction as the caller, as PostgREST does", () => {
  const sql = testDb();

  it("sets the role and the claims that auth.uid(), auth.role() and auth.jwt() read", async () => {
    const user = await createUser(sql);
    const claims = userClaims(user, "aal2");
    const [row] = await asCaller(sql, claims, (tx) =>
      tx`
      select current_user as role, auth.uid() as uid, auth.role() as claim_role, auth.email() as email, auth.jwt() ->> 'aal' as aal`);
    expect(row).toEqual({
      role: "authenticated",
      uid: user.id,
      claim_role: "authenticated",
      email: user.email,
      aal: "aal2",
    });
  });

  it("runs anon and service_role requests under those roles", async () => {
    const [anon] = await asCaller(sql, anonClaims(), (tx) => tx`select current_user as role, auth.uid() as uid`);
    expect(anon).toEqual({ role: "anon", uid: null });
    const [service] = await asCaller(sql, serviceClaims(), (tx) => tx`select current_user as role`);
    expect(service!.role).toBe("service_role");
  });

  it("passes the request id in request.headers, as PostgREST passes headers", async () => {
    const user = await createUser(sql);
    const request = callerRequest(new Request("http://x/functions/v1/health", { method: "POST" }), "req-abcdef12");
    const [row] = await asCaller(
      sql,
      userClaims(user),
      (tx) =>
        tx`
      select current_setting('request.headers', true)::jsonb ->> 'x-request-id' as id, current_setting('request.method', true) as method`,
      request,
    );
    expect(row).toEqual({ id: "req-abcdef12", method: "POST" });
  });

  it("leaves nothing behind when the work fails", async () => {
    // In the tests schema: not exposed, so the isolation matrix never sees it.
    await sql`create table if not exists tests.as_caller_probe (id int primary key)`;
    await sql`grant insert, select on tests.as_caller_probe to service_role`;
    try {
      await expect(asCaller(sql, serviceClaims(), async (tx) => {
        await tx`insert into tests.as_caller_probe values (1)`;
        await tx`select 1/0`;
      })).rejects.toMatchObject({ code: "22012" });
      const [count] = await sql`select count(*)::int as n from tests.as_caller_probe`;
      expect(count!.n).toBe(0);
    } finally {
      await sql`drop table tests.as_caller_probe`;
    }
  });

  it("does not leak the role or claims to the next use of the connection", async () => {
    const user = await createUser(sql);
    await asCaller(sql, userClaims(user), (tx) => tx`select 1`);
    const [after] =
      await sql`select current_user as role, coalesce(current_setting('request.jwt.claims', true), '') as claims`;
    expect(after).toEqual({ role: "postgres", claims: "" });
  });

  it("refuses a role that is not an API role", () => {
    const claims = { role: "postgres", exp: 0 } as unknown as ReturnType<typeof anonClaims>;
    expect(() => asCaller(sql, claims, (tx) => tx`select 1`)).toThrow(HttpError);
  });
});
