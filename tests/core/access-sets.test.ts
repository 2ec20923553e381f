/**
 * private.access_sets (one row per user and permission, read by every generated policy) under real
 * concurrent clients: memberships of one user joined, left and rescoped in several organizations at
 * once all land in the user's stored set, and reads through the policies follow. A set recomputed
 * from each transaction's own snapshot would lose one of two concurrent changes (and a lost removal
 * would keep an organization readable); the sets are changed row-locked, against their latest version.
 */
import { describe, expect, it } from "vitest";
import { asUser, createUser, testDb, type TestUser, userClaims } from "../helpers/db.ts";

const sql = testDb();

async function org(owner: TestUser): Promise<string> {
  const slug = `sets-${Math.random().toString(36).slice(2, 10)}`;
  const [row] =
    await sql`insert into public.organizations (name, slug, created_by) values ('Sets', ${slug}, ${owner.id}) returning id`;
  return row!.id as string;
}

async function roleId(orgId: string, key: string): Promise<string> {
  const [row] = await sql`select id from public.roles where org_id = ${orgId} and key = ${key}`;
  return row!.id as string;
}

/** Rows of the user's stored sets that differ from private.access aggregated (0 when in step). */
async function drift(user: string): Promise<number> {
  const [row] = await sql`
    with expected as (
      select a.permission, array_agg(a.org_id order by a.org_id) as org_ids,
             coalesce(array_agg(a.org_id order by a.org_id) filter (where a.scope <> 'org'), '{}') as partial_org_ids
      from private.access a where a.user_id = ${user} group by a.permission
    ), actual as (
      select s.permission, s.org_ids, s.partial_org_ids from private.access_sets s
      where s.user_id = ${user} and s.org_ids <> '{}'
    )
    select count(*)::int as n from ((select * from expected except select * from actual)
      union all (select * from actual except select * from expected)) d`;
  return row!.n as number;
}

/** Runs each change in its own transaction on its own connection, all open at once. */
function together(changes: ((tx: typeof sql) => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(changes.map((change) =>
    sql.begin(async (tx) => {
      await change(tx as unknown as typeof sql);
      await tx`select pg_sleep(0.2)`; // hold the transaction open while the others change the same user
    })
  ));
}

describe("stored permission sets under concurrent membership changes", () => {
  it("keeps every organization a user joins at once (no lost update)", async () => {
    const owner = await createUser(sql);
    const user = await createUser(sql);
    const orgs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => org(owner)));
    const roles = await Promise.all(orgs.map((o) => roleId(o, "member")));
    const results = await together(
      orgs.map((o, i) => (tx) =>
        tx`insert into public.members (org_id, user_id, role_id) values (${o}, ${user.id}, ${roles[i]!})`
      ),
    );
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const [set] =
      await sql`select org_ids from private.access_sets where user_id = ${user.id} and permission = 'membership'`;
    expect([...set!.org_ids].sort()).toEqual([...orgs].sort());
    expect(await drift(user.id)).toBe(0);
    const visible = await asUser(sql, userClaims(user), (tx) => tx`select count(*)::int as n from public.roles`);
    expect(visible[0]!.n).toBe(orgs.length * 8);
  });

  it("drops every organization a user leaves while others are joined and rescoped at the same moment", async () => {
    const owner = await createUser(sql);
    const user = await createUser(sql);
    const orgs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => org(owner)));
    for (const o of orgs.slice(0, 4)) {
      await sql`insert into public.members (org_id, user_id, role_id) values (${o}, ${user.id}, ${await roleId(
        o,
        "member",
      )})`;
    }
    const viewer = await roleId(orgs[2]!, "viewer");
    const member = [await roleId(orgs[4]!, "member"), await roleId(orgs[5]!, "member")];
    const results = await together([
      (tx) => tx`delete from public.members where org_id = ${orgs[0]!} and user_id = ${user.id}`,
      (tx) =>
        tx`update public.members set status = 'suspended', suspended_at = now() where org_id = ${orgs[
          1
        ]!} and user_id = ${user.id}`,
      (tx) => tx`update public.members set role_id = ${viewer} where org_id = ${orgs[2]!} and user_id = ${user.id}`,
      (tx) => tx`insert into public.members (org_id, user_id, role_id) values (${orgs[4]!}, ${user.id}, ${member[0]!})`,
      (tx) => tx`insert into public.members (org_id, user_id, role_id) values (${orgs[5]!}, ${user.id}, ${member[1]!})`,
    ]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const [set] =
      await sql`select org_ids from private.access_sets where user_id = ${user.id} and permission = 'membership'`;
    expect([...set!.org_ids].sort()).toEqual([orgs[2]!, orgs[3]!, orgs[4]!, orgs[5]!].sort());
    expect(await drift(user.id)).toBe(0);
    const seen = await asUser(sql, userClaims(user), (tx) => tx`select distinct org_id from public.roles`);
    expect(seen.map((r) => r.org_id).sort()).toEqual([orgs[2]!, orgs[3]!, orgs[4]!, orgs[5]!].sort());
  });

  it("follows a role's grants changed for many members while one of them joins elsewhere", async () => {
    const owner = await createUser(sql);
    const people = await Promise.all([1, 2, 3, 4].map(() => createUser(sql)));
    const [a, b] = [await org(owner), await org(owner)];
    const [desk] =
      await sql`insert into public.roles (org_id, key, name, rank) values (${a}, 'desk', 'Desk', 30) returning id`;
    await sql`insert into public.role_permissions (role_id, permission, scope) values (${
      desk!.id
    }, 'core.scheduling.read', 'org')`;
    for (const p of people) {
      await sql`insert into public.members (org_id, user_id, role_id) values (${a}, ${p.id}, ${desk!.id})`;
    }
    const results = await together([
      (tx) =>
        tx`update public.role_permissions set scope = 'own' where role_id = ${
          desk!.id
        } and permission = 'core.scheduling.read'`,
      async (tx) =>
        tx`insert into public.members (org_id, user_id, role_id) values (${b}, ${people[0]!.id}, ${await roleId(
          b,
          "member",
        )})`,
    ]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const p of people) expect(await drift(p.id)).toBe(0);
    const [set] = await sql`select partial_org_ids from private.access_sets where user_id = ${
      people[0]!.id
    } and permission = 'core.scheduling.read'`;
    expect(set!.partial_org_ids).toEqual([a]);
  });
});
