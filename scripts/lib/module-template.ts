/**
 * The files of a new module, laid out as every module is (scripts/lib/layout.ts): a first table
 * with its permissions, scoped policies, MFA restriction, member references and audit; its pgTAP
 * test, isolation spec, demo data, an end-to-end test and its doc. `npm run module:new` writes them.
 */

export interface ModuleNames {
  /** The module and its schema: crm, clinic, hiring. */
  module: string;
  /** Its first table: contacts, patients, candidates. */
  table: string;
  /** The migration's timestamp (yyyymmddhhmmss). */
  version: string;
  /** The demo data file's order (NN of supabase/seeds/NN_<module>.sql). */
  seedOrder: string;
}

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, " ");

export function migration({ module: m, table: t }: ModuleNames): string {
  const q = `${m}.${t}`;
  return `-- ${title(m)} module, part 1: its first table, ${q} — records that belong to an organization, a
-- department and an owner. Built only on the core: permissions and scoped policies (org /
-- department / own), the MFA restriction, member references and the audit trail.
-- Tables: ${q}. Permissions: ${q}.read, ${q}.write.
-- Laid out by \`npm run module:new\`; the module grows by new migrations named ${m}_<concern>.

-- Permissions and roles
create schema if not exists ${m};
comment on schema ${m} is 'The ${m} module. Exposed through the Data API.';
grant usage on schema ${m} to authenticated;
grant usage on schema ${m} to service_role;

insert into public.permissions (key, module, description) values
  ('${q}.read', '${m}', 'Read ${t.replace(/_/g, " ")} in scope'),
  ('${q}.write', '${m}', 'Create, change and delete ${t.replace(/_/g, " ")} in scope');

insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', '${q}.read', 'org'), ('owner', '${q}.write', 'org'),
  ('admin', '${q}.read', 'org'), ('admin', '${q}.write', 'org'),
  ('executive', '${q}.read', 'org'),
  ('manager', '${q}.read', 'department'), ('manager', '${q}.write', 'department'),
  ('member', '${q}.read', 'own'), ('member', '${q}.write', 'own'),
  ('viewer', '${q}.read', 'own');
-- Whoever may grant a role holds all its permissions: roles that invite (hr) get the member's.
insert into private.system_role_grants (role_key, permission, scope)
select r.key, p.permission, 'own'
from private.system_roles r cross join (values ('${q}.read'), ('${q}.write')) as p (permission)
where r.key not in ('owner', 'admin', 'executive', 'manager', 'member', 'viewer')
  and exists (select 1 from private.system_role_grants g where g.role_key = r.key and g.permission = 'core.members.invite');
select private.install_system_roles(id) from public.organizations;

-- ${q}
create table ${q} (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  department_id uuid,
  owner_id uuid default auth.uid(),
  name text not null,
  notes text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ${t}_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint ${t}_notes_length check (char_length(notes) <= 10000),
  constraint ${t}_department_fkey foreign key (org_id, department_id)
    references public.departments (org_id, id) on delete set null (department_id)
);
comment on table ${q} is 'The ${m} module''s ${
    t.replace(/_/g, " ")
  }: each belongs to an organization, optionally a department, and an owner who is a member.';
comment on column ${q}.department_id is 'The department the row belongs to (department-scoped grants reach it).';
comment on column ${q}.owner_id is 'The member who owns the row (own-scoped grants reach it); the creator by default.';
comment on column ${q}.name is 'What the row is called (1-200 characters).';
comment on column ${q}.notes is 'Free text (at most 10,000 characters).';
-- The organization's time index carries the scope columns: lists walk it in order, counts under RLS
-- read it alone, and the policies need no other organization index.
create index ${t}_org_created_idx on ${q} (org_id, created_at desc) include (department_id, owner_id);
create index ${t}_department_idx on ${q} (org_id, department_id);
create trigger touch_updated_at before update on ${q} for each row execute function private.touch_updated_at();

revoke all on ${q} from anon;
revoke all on ${q} from authenticated;
grant select on ${q} to authenticated;
grant insert (org_id, department_id, owner_id, name, notes) on ${q} to authenticated;
grant update (department_id, owner_id, name, notes) on ${q} to authenticated;
grant select, insert, update, delete on ${q} to service_role;
select private.reference_member('${q}', 'owner_id');
select private.create_scoped_policies('${q}', '${q}.read', '${q}.write', 'org_id', 'department_id', 'owner_id');
select audit.enable('${q}');
select audit.set_read_permission('${q}', '${q}.read');
-- The core's data toolkit: rows go to the trash (who may write a row trashes and restores it), are
-- found by public.search, are listed by filter documents and saved views, and are imported from CSV
-- (a line naming an existing name is a duplicate) and exported by the imports and exports functions.
select private.enable_soft_delete('${q}', '${q}', '${q}.write', p_department_column => 'department_id', p_owner_column => 'owner_id');
select private.enable_search('${q}', '${q}', '${q}.read', '{"name": "A", "notes": "C"}', p_fuzzy_columns => array['name'], p_title_column => 'name');
select private.enable_views('${q}', '${q}');
select private.enable_import('${q}', '[["name"]]');
`;
}

export function pgtap({ module: m, table: t }: ModuleNames): string {
  const q = `${m}.${t}`;
  const slug = m.replace(/_/g, "-");
  return `-- ${q}: scoped access (org, department, own), writes checked against the scope, the owner a
-- member of the organization, and the audit trail.
begin;
select plan(12);

select tests.create_user(e) from unnest(array['own@${m}.test', 'man@${m}.test', 'ann@${m}.test', 'bob@${m}.test', 'view@${m}.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('${slug}-a', tests.user_id('own@${m}.test')) as a;
alter table ids add column ops uuid, add column sales uuid, add column b uuid;
update ids set ops = tests.create_department(a, 'Ops'), sales = tests.create_department(a, 'Sales'),
  b = tests.create_org('${slug}-b', tests.user_id('x@other.test'));
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('man@${m}.test'), 'manager', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('ann@${m}.test'), 'member', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('bob@${m}.test'), 'member', (select sales from ids));
select tests.add_member((select a from ids), tests.user_id('view@${m}.test'), 'viewer');

select tests.act_as('ann@${m}.test');
select lives_ok($$ insert into ${q} (org_id, department_id, name) select a, ops, 'Ann''s' from ids $$, 'a member adds a row of their own');
select is((select owner_id from ${q} where name = 'Ann''s'), tests.user_id('ann@${m}.test'), 'and owns it');
select throws_ok($$ insert into ${q} (org_id, name, owner_id) select a, 'Not mine', tests.user_id('bob@${m}.test') from ids $$,
  '42501', null, 'but cannot add one owned by someone else');
select throws_ok($$ insert into ${q} (org_id, name) select b, 'Elsewhere' from ids $$, '42501', null, 'nor one in another organization');

select tests.act_as('bob@${m}.test');
select is(tests.visible('${q}'), 0::bigint, 'another member does not see it');
select tests.act_as('man@${m}.test');
select is(tests.visible('${q}'), 1::bigint, 'the manager of its department does');
select tests.act_as('view@${m}.test');
select throws_ok($$ insert into ${q} (org_id, name) select a, 'Viewer''s' from ids $$, '42501', null, 'a viewer adds nothing');

select tests.act_as('own@${m}.test');
select throws_ok($$ update ${q} set owner_id = tests.user_id('x@other.test') where name = 'Ann''s' $$,
  '23503', null, 'the owner must be a member of the organization');
select is((select title from public.search('ann', array['${q}'])), 'Ann''s', 'search finds it');
select lives_ok($$ select public.trash_record('${q}', (select id from ${q} where name = 'Ann''s')) $$, 'the organization''s owner trashes it');
select tests.act_as('ann@${m}.test');
select is((select deleted_at is not null from ${q} where name = 'Ann''s'), true, 'its owner sees it in the trash, where they may restore it');
select tests.act_as_postgres();
select is((select count(*) from audit.log where table_schema = '${m}' and table_name = '${t}'
  and record_id = (select id::text from ${q} where name = 'Ann''s'))::int, 2, 'both changes are in the audit trail');

select * from finish();
rollback;
`;
}

export function isolationSpec({ module: m, table: t }: ModuleNames): string {
  const q = `${m}.${t}`;
  return `/** Isolation specs of the ${m} module's tables. */
import { expectations, type MatrixWorld, ownerInA, type TableSpec } from "./helpers.ts";

export const specs: TableSpec<MatrixWorld>[] = [
  {
    table: "${q}",
    async rows(tx, world, actor) {
      const row = async (org: string, owner: string | null, department: string | null) =>
        (await tx\`insert into ${q} (org_id, name, owner_id, department_id) values (\${org}, 'Row', \${owner}, \${department}) returning id\`)[
          0
        ]!.id as string;
      return {
        own: actor.userId ? await row(world.a.id, ownerInA(world, actor), world.a.department) : null,
        other: await row(world.b.id, world.stranger.id, null),
      };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, name: "New", department_id: world.a.department },
      other: { org_id: world.b.id, name: "Spy" },
    }),
    updateColumn: "name",
    // Own row: one the actor owns in their department. Rows go to the trash (trash_record), never deleted.
    expect: expectations({
      owner: "o o o n",
      admin: "o o o n",
      executive: "o n n n",
      manager: "o o o n",
      member: "o o o n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
];
`;
}

export function seed({ module: m, table: t }: ModuleNames): string {
  return `-- Demo data of the ${m} module (after 00_core.sql, in the organization it made).
insert into ${m}.${t} (org_id, department_id, owner_id, name, notes)
select '00000000-0000-4000-9000-000000000001', d.id, u.id, r.name, r.notes
from (values
  ('owner@groundwork.test', 'First ${t.replace(/_/g, " ")} row', 'Owned by the owner'),
  ('member@groundwork.test', 'A member''s row', 'Only its owner, managers of its department and the organization''s leads see it')
) as r (email, name, notes)
join auth.users u on u.email = r.email
left join public.members m on m.user_id = u.id and m.org_id = '00000000-0000-4000-9000-000000000001'
left join public.departments d on d.id = m.department_id;
`;
}

export function e2eTest({ module: m, table: t }: ModuleNames): string {
  const q = `${m}.${t}`;
  return `/**
 * The ${m} module as a frontend uses it (each statement run as the user, as PostgREST would): a
 * member writes a row of their own; another organization never sees it.
 */
import { describe, expect, it } from "vitest";
import { asUser, createUser, testDb, type TestUser, userClaims } from "../../helpers/db.ts";

const sql = testDb();

async function orgOf(owner: TestUser, name: string): Promise<string> {
  const slug = \`\${name}-\${crypto.randomUUID().slice(0, 8)}\`;
  return (await sql\`insert into public.organizations (name, slug, created_by) values (\${name}, \${slug}, \${owner.id}) returning id\`)[0]!
    .id as string;
}

describe("${q}", () => {
  it("a member writes their own rows; another organization sees none of them", async () => {
    const owner = await createUser(sql);
    const member = await createUser(sql);
    const org = await orgOf(owner, "${m.replace(/_/g, "-")}");
    await sql\`insert into public.members (org_id, user_id, role_id) select \${org}, \${member.id}, id from public.roles where org_id = \${org} and key = 'member'\`;
    const row = await asUser(sql, userClaims(member), async (tx) =>
      (await tx\`insert into ${q} (org_id, name) values (\${org}, 'Mine') returning id, owner_id\`)[0]!);
    expect(row.owner_id).toBe(member.id);

    const stranger = await createUser(sql);
    await orgOf(stranger, "elsewhere");
    const seen = await asUser(sql, userClaims(stranger), (tx) => tx\`select id from ${q} where id = \${row.id}\`);
    expect(seen).toEqual([]);
    const own = await asUser(sql, userClaims(owner), (tx) => tx\`select id from ${q} where id = \${row.id}\`);
    expect(own.map((r) => r.id)).toEqual([row.id]);
  });
});
`;
}

export function doc({ module: m, table: t }: ModuleNames): string {
  const q = `${m}.${t}`;
  return `# Module: ${m}

What the ${m} module is for, in a paragraph (laid out by \`npm run module:new\`; say it here).

## Tables

<!-- generated:er tables="${q}" -->
<!-- /generated -->

## Roles and permissions

<!-- generated:permissions prefixes="${m}" -->
<!-- /generated -->

## State machines

A row of \`${q}\` is created and changed by who its scope allows, and goes to the trash rather than
being deleted: \`trash_record('${q}', id)\` → trashed (seen only by who may write it) →
\`restore_record\` within the organization's trash retention, or purged after it.

## RPCs and function routes

Its own, none yet: rows go through supabase-js (\`supabase.schema("${m}").from("${t}")\`), and the core's
\`search\`, \`query_records\`, \`count_records\`, \`bulk_change\`, \`trash_record\` and
\`restore_record\` serve it as kind \`'${q}'\`.

## Emails

None of its own; notifications go through the core (\`private.notify\`).

## Demo users

Acme Corp's \`owner@groundwork.test\` and \`member@groundwork.test\` each own a row
(\`supabase/seeds/\`); \`manager@\` sees the rows of their department, \`executive@\` all of them.

## Limits

- A name is 1-200 characters; notes at most 10,000.
- The owner must be a member of the row's organization; the department one of its departments.

## How it works

\`${q}\` is scoped like every module table: \`${q}.read\` and \`${q}.write\` reach the whole
organization, a department, or the rows a member owns, by the grant's scope (the table above). The
policies come from \`private.create_scoped_policies\`, the MFA restriction with them, and every change is
in the audit trail (\`audit.enable\`). The core's data toolkit is on: the trash
(\`private.enable_soft_delete\`), search by name and notes (\`private.enable_search\`), and filter
documents, saved views and bulk changes (\`private.enable_views\`), CSV import and export
(\`private.enable_import\`, the \`imports\` and \`exports\` functions) — see [the data toolkit](../core/data.md).

\`\`\`ts
const ${m} = supabase.schema("${m}");
await ${m}.from("${t}").insert({ org_id, name: "First" });
const { data } = await ${m}.from("${t}").select("*").eq("org_id", org_id).order("created_at", { ascending: false });
\`\`\`
`;
}
