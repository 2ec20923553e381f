/**
 * Reading the audit trail as a member would from supabase-js: public.audit_events filtered by
 * organization, table and record, paged by id (keyset), as PostgREST runs it.
 */
import { describe, expect, it } from "vitest";
import { asUser, createUser, testDb, userClaims } from "../helpers/db.ts";

const sql = testDb();

describe("public.audit_events", () => {
  it("pages through an organization's history without gaps or repeats", async () => {
    const owner = await createUser(sql);
    const slug = `audit-${Math.random().toString(36).slice(2, 10)}`;
    const [org] =
      await sql`insert into public.organizations (name, slug, created_by) values ('Audit', ${slug}, ${owner.id}) returning id`;
    await asUser(sql, userClaims(owner), async (tx) => {
      for (let i = 0; i < 60; i++) {
        await tx`insert into public.departments (org_id, name) values (${org!.id}, ${`Dept ${i}`})`;
      }
    });
    const [total] = await sql`select count(*)::int as n from audit.log where org_id = ${org!.id}`;
    const seen: number[] = [];
    let cursor: number | null = null;
    for (;;) {
      // What `.from('audit_events').select().eq('org_id', org).lt('id', cursor).order('id', { ascending: false }).limit(25)` runs.
      const page: { id: number }[] = await asUser(sql, userClaims(owner), (tx) =>
        tx`
        select id from public.audit_events
        where org_id = ${org!.id} ${cursor === null ? tx`` : tx`and id < ${cursor}`}
        order by id desc limit 25`);
      if (page.length === 0) break;
      seen.push(...page.map((r) => Number(r.id)));
      cursor = Number(page.at(-1)!.id);
    }
    expect(seen).toHaveLength(total!.n);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("filters by table and record, and reads the history of one department", async () => {
    const owner = await createUser(sql);
    const slug = `audit-${Math.random().toString(36).slice(2, 10)}`;
    const [org] =
      await sql`insert into public.organizations (name, slug, created_by) values ('Audit', ${slug}, ${owner.id}) returning id`;
    const history = await asUser(sql, userClaims(owner), async (tx) => {
      const [dept] = await tx`insert into public.departments (org_id, name) values (${org!.id}, 'Ops') returning id`;
      await tx`update public.departments set name = 'Operations' where id = ${dept!.id}`;
      await tx`update public.departments set archived_at = now() where id = ${dept!.id}`;
      return tx`select operation, new_record from public.audit_events
                where table_name = 'departments' and record_id = ${dept!.id} order by id`;
    });
    expect(history.map((h) => h.operation)).toEqual(["INSERT", "UPDATE", "UPDATE"]);
    expect(history[1]!.new_record).toEqual({ name: "Operations" });
    expect(Object.keys(history[2]!.new_record)).toEqual(["archived_at"]);
  });

  it("shows another organization's history to nobody", async () => {
    const owner = await createUser(sql);
    const outsider = await createUser(sql);
    const slug = `audit-${Math.random().toString(36).slice(2, 10)}`;
    const [org] =
      await sql`insert into public.organizations (name, slug, created_by) values ('Audit', ${slug}, ${owner.id}) returning id`;
    const rows = await asUser(
      sql,
      userClaims(outsider),
      (tx) => tx`select id from public.audit_events where org_id = ${org!.id}`,
    );
    expect(rows).toHaveLength(0);
  });
});
