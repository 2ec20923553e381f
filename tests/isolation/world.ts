/**
 * The world the isolation matrix runs in: two organizations and everyone who acts on them.
 * Built inside the matrix's transaction (as postgres) and rolled back after each case.
 *
 * Actors: anon, an outsider (signed in, no membership), one member of organization A per system
 * role, a suspended member of A, and the service role. Rows "in scope" belong to A, rows "out of
 * scope" to B.
 */
import { randomUUID } from "node:crypto";
import type { Tx } from "../../functions/_shared/db.ts";
import type { Actor, World } from "./matrix.ts";

const hour = () => Math.floor(Date.now() / 1000) + 3600;

export interface User {
  id: string;
  email: string;
}

export async function insertUser(tx: Tx, label: string): Promise<User> {
  const email = `${label}-${randomUUID()}@matrix.test`;
  const [row] = await tx<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email}, '', now(),
            '{"provider":"email"}', '{}', now(), now())
    returning id`;
  return { id: row!.id, email };
}

export function userActor(name: string, user: User, aal: "aal1" | "aal2" = "aal1"): Actor {
  return {
    name,
    userId: user.id,
    claims: {
      role: "authenticated",
      sub: user.id,
      email: user.email,
      aud: "authenticated",
      aal,
      session_id: randomUUID(),
      exp: hour(),
    },
  };
}

export const SYSTEM_ROLES = ["owner", "admin", "executive", "manager", "member", "viewer"] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

export interface Org {
  id: string;
  /** System role ids by key. */
  roles: Record<SystemRole, string>;
  department: string;
  /** A custom role ranked below everyone (10), for role and grant specs. */
  customRole: string;
  /** A user who is not yet a member, for insert attempts. */
  spare: User;
}

export interface BaseWorld extends World {
  /** Someone signed in who belongs to nothing. */
  outsider: User;
  /** Owner of organization B: the rows outside everyone's scope are theirs. */
  stranger: User;
  a: Org;
  b: Org;
  /** Members of A by role key, plus "suspended". */
  people: Record<SystemRole | "suspended", User>;
}

async function createOrg(tx: Tx, owner: User, label: string): Promise<Org> {
  const slug = `${label}-${randomUUID().slice(0, 8)}`;
  const [org] = await tx<
    { id: string }[]
  >`insert into public.organizations (name, slug, created_by) values (${label}, ${slug}, ${owner.id}) returning id`;
  const roles = Object.fromEntries(
    (await tx<{ key: SystemRole; id: string }[]>`select key, id from public.roles where org_id = ${org!.id}`).map((
      r,
    ) => [r.key, r.id]),
  ) as Record<SystemRole, string>;
  const [department] = await tx<{ id: string }[]>`insert into public.departments (org_id, name) values (${
    org!.id
  }, 'Operations') returning id`;
  const [custom] = await tx<{ id: string }[]>`
    insert into public.roles (org_id, key, name, rank) values (${org!.id}, 'auditor', 'Auditor', 10) returning id`;
  return {
    id: org!.id,
    roles,
    department: department!.id,
    customRole: custom!.id,
    spare: await insertUser(tx, `${label}-spare`),
  };
}

export async function baseWorld(tx: Tx): Promise<BaseWorld> {
  const outsider = await insertUser(tx, "outsider");
  const stranger = await insertUser(tx, "stranger");
  const owner = await insertUser(tx, "owner");
  const a = await createOrg(tx, owner, "org-a");
  const b = await createOrg(tx, stranger, "org-b");
  const people = { owner } as Record<SystemRole | "suspended", User>;
  for (const role of SYSTEM_ROLES.filter((r) => r !== "owner")) {
    people[role] = await insertUser(tx, role);
    await tx`insert into public.members (org_id, user_id, role_id, department_id) values (${a.id}, ${
      people[role].id
    }, ${a.roles[role]}, ${a.department})`;
  }
  people.suspended = await insertUser(tx, "suspended");
  await tx`insert into public.members (org_id, user_id, role_id, department_id, status, suspended_at)
           values (${a.id}, ${people.suspended.id}, ${a.roles.member}, ${a.department}, 'suspended', now())`;
  return {
    outsider,
    stranger,
    a,
    b,
    people,
    actors: [
      { name: "anon", claims: { role: "anon", exp: hour() } },
      userActor("outsider", outsider),
      ...SYSTEM_ROLES.map((role) => userActor(role, people[role])),
      userActor("suspended", people.suspended),
      { name: "service_role", claims: { role: "service_role", exp: hour() } },
    ],
  };
}
