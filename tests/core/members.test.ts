/**
 * Member workflows with real concurrent clients: the last-owner rule holds under a race, because
 * the database serializes changes to one organization's members.
 */
import { describe, expect, it } from "vitest";
import { asUser, createUser, testDb, type TestUser, userClaims } from "../helpers/db.ts";

const sql = testDb();

async function orgWithOwners(...owners: TestUser[]): Promise<{ org: string; members: string[] }> {
  const slug = `race-${Math.random().toString(36).slice(2, 10)}`;
  const [org] = await sql`insert into public.organizations (name, slug, created_by) values ('Race', ${slug}, ${
    owners[0]!.id
  }) returning id`;
  const [owner] = await sql`select id from public.roles where org_id = ${org!.id} and key = 'owner'`;
  for (const extra of owners.slice(1)) {
    await sql`insert into public.members (org_id, user_id, role_id) values (${org!.id}, ${extra.id}, ${owner!.id})`;
  }
  const members = await sql`select id from public.members where org_id = ${org!.id} order by created_at`;
  return { org: org!.id, members: members.map((m) => m.id) };
}

describe("the last owner under concurrency", () => {
  it("lets exactly one of two owners step down when both try at once", async () => {
    const ana = await createUser(sql);
    const ben = await createUser(sql);
    const { org, members } = await orgWithOwners(ana, ben);
    const [admin] = await sql`select id from public.roles where org_id = ${org} and key = 'admin'`;
    const stepDown = (user: TestUser, member: string, delayMs: number) =>
      new Promise((r) => setTimeout(r, delayMs)).then(() =>
        asUser(sql, userClaims(user), async (tx) => {
          await tx`select public.change_member_role(${member}, ${admin!.id})`;
          await tx`select pg_sleep(0.3)`; // hold the transaction open while the other one starts
        })
      );
    const results = await Promise.allSettled([stepDown(ana, members[0]!, 0), stepDown(ben, members[1]!, 50)]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatchObject({ code: "42501", message: expect.stringMatching(/last owner/) });
    const [owners] = await sql`
      select count(*)::int as n from public.members m join public.roles r on r.id = m.role_id
      where m.org_id = ${org} and r.key = 'owner' and m.status = 'active'`;
    expect(owners!.n).toBe(1);
  });

  it("never leaves an organization without an owner when several owners leave at once", async () => {
    const people = await Promise.all([1, 2, 3, 4].map(() => createUser(sql)));
    const { org, members } = await orgWithOwners(...people);
    const leave = (user: TestUser, member: string) =>
      asUser(sql, userClaims(user), async (tx) => {
        await tx`select public.remove_member(${member})`;
        await tx`select pg_sleep(0.1)`;
      });
    const results = await Promise.allSettled(people.map((p, i) => leave(p, members[i]!)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const [left] = await sql`select count(*)::int as n from public.members where org_id = ${org}`;
    expect(left!.n).toBe(1);
  });
});
