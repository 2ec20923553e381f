/**
 * One spec per table or view in an exposed schema: how to make a row inside and outside an
 * actor's scope, and what each actor may do. A new table without a spec fails the matrix.
 *
 * Notation: `expect` rows read select / insert / update / delete; `none` nothing, `own` only in
 * scope (organization A, or the actor's own row), `all` also outside it.
 */
import { randomUUID } from "node:crypto";
import type { Operation, Outcome, TableSpec } from "./matrix.ts";
import { type BaseWorld, baseWorld } from "./world.ts";

export type MatrixWorld = BaseWorld;
export const buildWorld = baseWorld;

type Expectations = Record<string, Record<Operation, Outcome>>;
const ACTORS = [
  "anon",
  "outsider",
  "owner",
  "admin",
  "executive",
  "manager",
  "member",
  "viewer",
  "suspended",
  "service_role",
] as const;
type ActorName = (typeof ACTORS)[number];

/** Builds expectations from "s i u d" strings per actor (n = none, o = own, a = all); unlisted actors get none. */
function expectations(table: Partial<Record<ActorName, string>>): Expectations {
  const letter: Record<string, Outcome> = { n: "none", o: "own", a: "all" };
  return Object.fromEntries(ACTORS.map((actor) => {
    const [s, i, u, d] = (table[actor] ?? "n n n n").split(" ").map((l) => letter[l]!);
    return [actor, { select: s!, insert: i!, update: u!, delete: d! }];
  }));
}

/**
 * The actor as the owner of a row in organization A, when they are a member of A (a column naming
 * a user in an organization's row must name a member: an outsider's "own" row has no owner).
 */
function ownerInA(world: MatrixWorld, actor: { userId?: string }): string | null {
  return actor.userId && Object.values(world.people).some((p) => p.id === actor.userId) ? actor.userId : null;
}

/** A resource in an organization (for the scheduling specs). */
async function resourceIn(tx: Parameters<TableSpec<MatrixWorld>["rows"]>[0], org: string): Promise<string> {
  return (await tx`insert into public.resources (org_id, name, time_zone) values (${org}, 'Room', 'Europe/Berlin') returning id`)[
    0
  ]!.id as string;
}

// Resources are deactivated, never deleted (their bookings would go with them).
const SCHEDULING_SETUP = expectations({
  owner: "o o o n",
  admin: "o o o n",
  executive: "o n n n",
  manager: "o n n n",
  member: "o n n n",
  viewer: "o n n n",
  service_role: "a a a a",
});

/** A draft contract in an organization, owned by someone (compliance specs). */
async function contractIn(
  tx: Parameters<TableSpec<MatrixWorld>["rows"]>[0],
  org: string,
  owner: string | null,
  department: string | null = null,
): Promise<string> {
  return (await tx`insert into compliance.contracts (org_id, reference, title, start_date, owner_id, department_id)
    values (${org}, ${`C-${
    randomUUID().slice(0, 8)
  }`}, 'Contract', '2030-01-01', ${owner}, ${department}) returning id`)[0]!.id as string;
}

function complianceSpecs(): TableSpec<MatrixWorld>[] {
  // Own row: a draft the actor owns in their department. legal and hr are not actors of the world
  // (their grants are covered in tests/db/compliance_contracts.test.sql).
  const ownedDraft = async (
    tx: Parameters<TableSpec<MatrixWorld>["rows"]>[0],
    world: MatrixWorld,
    actor: { userId?: string },
  ) => ({
    own: actor.userId ? await contractIn(tx, world.a.id, ownerInA(world, actor), world.a.department) : null,
    other: await contractIn(tx, world.b.id, world.stranger.id),
  });
  const contractPart = (
    table: string,
    values: (org: string, contract: string, world: MatrixWorld) => Record<string, unknown>,
    key = "contract_id",
  ): TableSpec<MatrixWorld> => ({
    table: `compliance.${table}`,
    key,
    async rows(tx, world, actor) {
      const make = async (org: string, owner: string | null, department: string | null) => {
        const contract = await contractIn(tx, org, owner, department);
        const [row] = await tx`insert into ${tx("compliance")}.${tx(table)} ${
          tx(values(org, contract, world) as Record<string, string>)
        } returning ${tx(key)}`;
        return String(row![key]);
      };
      return {
        own: actor.userId ? await make(world.a.id, ownerInA(world, actor), world.a.department) : null,
        other: await make(world.b.id, world.stranger.id, null),
      };
    },
    updateColumn: "org_id",
    expect: expectations({
      owner: "o n n o",
      admin: "o n n o",
      executive: "o n n n",
      manager: "o n n o",
      member: "o n n o",
      viewer: "o n n n",
      service_role: "a n a a",
    }),
  });
  return [
    {
      table: "compliance.currencies",
      key: "code",
      async rows() {
        return { own: "ISK", other: "NOK" }; // codes no contract uses, so deleting one touches nothing else
      },
      updateColumn: "code",
      expect: expectations({
        outsider: "a n n n",
        owner: "a n n n",
        admin: "a n n n",
        executive: "a n n n",
        manager: "a n n n",
        member: "a n n n",
        viewer: "a n n n",
        suspended: "a n n n",
        service_role: "a n a a",
      }),
    },
    {
      table: "compliance.settings",
      key: "org_id",
      async rows(tx, world) {
        await tx`insert into compliance.settings (org_id) values (${world.a.id}), (${world.b.id})`;
        return { own: world.a.id, other: world.b.id };
      },
      updateColumn: "certification_warning_days",
      expect: expectations({
        owner: "o n o n",
        admin: "o n o n",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a n a a",
      }),
    },
    {
      table: "compliance.contracts",
      rows: ownedDraft,
      insert: (world) => ({
        own: {
          org_id: world.a.id,
          reference: `N-${randomUUID().slice(0, 8)}`,
          title: "New",
          start_date: "2030-01-01",
          department_id: world.a.department,
        },
        other: {
          org_id: world.b.id,
          reference: `S-${randomUUID().slice(0, 8)}`,
          title: "Spy",
          start_date: "2030-01-01",
        },
      }),
      updateColumn: "title",
      // Drafts are edited in scope; statuses move only through the workflow; contracts are never deleted.
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
    contractPart(
      "contract_parties",
      (org, contract) => ({ org_id: org, contract_id: contract, kind: "external", name: "Acme Ltd" }),
      "id",
    ),
    // The assignee is a member of the contract's organization (a user of another one is refused).
    contractPart(
      "contract_assignees",
      (org, contract, world) => ({
        org_id: org,
        contract_id: contract,
        user_id: org === world.a.id ? world.people.owner.id : world.stranger.id,
      }),
    ),
    contractPart(
      "contract_departments",
      (org, contract, world) => ({
        org_id: org,
        contract_id: contract,
        department_id: org === world.a.id ? world.a.department : world.b.department,
      }),
    ),
    {
      table: "compliance.contract_approvals",
      async rows(tx, world, actor) {
        const approval = async (org: string, owner: string | null, department: string | null) => {
          const contract = await contractIn(tx, org, owner, department);
          return (await tx`insert into compliance.contract_approvals (org_id, contract_id, step) values (${org}, ${contract}, 1) returning id`)[
            0
          ]!.id as string;
        };
        return {
          own: actor.userId ? await approval(world.a.id, ownerInA(world, actor), world.a.department) : null,
          other: await approval(world.b.id, world.stranger.id, null),
        };
      },
      updateColumn: "comment",
      expect: expectations({
        owner: "o n n n",
        admin: "o n n n",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a n a a",
      }),
    },
    {
      table: "compliance.approval_policies",
      async rows(tx, world) {
        const policy = async (org: string) =>
          (await tx`insert into compliance.approval_policies (org_id, contract_type) values (${org}, 'nda') returning id`)[
            0
          ]!.id as string;
        return { own: await policy(world.a.id), other: await policy(world.b.id) };
      },
      insert: (world) => ({
        own: { org_id: world.a.id, contract_type: "lease" },
        other: { org_id: world.b.id, contract_type: "lease" },
      }),
      updateColumn: "required_approvals",
      expect: expectations({
        owner: "o o o o",
        admin: "o o o o",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a a a a",
      }),
    },
    {
      table: "compliance.contract_reminders",
      key: "contract_id",
      async rows(tx, world) {
        const reminder = async (org: string) => {
          const contract = await contractIn(tx, org, null);
          await tx`insert into compliance.contract_reminders (contract_id, kind, days) values (${contract}, 'end', 7)`;
          return contract;
        };
        return { own: await reminder(world.a.id), other: await reminder(world.b.id) };
      },
      updateColumn: "days",
      // Bookkeeping of the deadline job; no API role reads or writes it.
      expect: expectations({ service_role: "a n a a" }),
    },
    {
      table: "compliance.certification_types",
      async rows(tx, world) {
        const type = async (org: string) =>
          (await tx`insert into compliance.certification_types (org_id, name) values (${org}, ${`Safety ${
            randomUUID().slice(0, 6)
          }`}) returning id`)[0]!.id as string;
        return { own: await type(world.a.id), other: await type(world.b.id) };
      },
      insert: (world) => ({
        own: { org_id: world.a.id, name: `New ${randomUUID().slice(0, 6)}` },
        other: { org_id: world.b.id, name: `Spy ${randomUUID().slice(0, 6)}` },
      }),
      updateColumn: "name",
      // Everyone in the organization reads the types; owners and admins (training.manage) define them.
      expect: expectations({
        owner: "o o o o",
        admin: "o o o o",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a a a a",
      }),
    },
    {
      table: "compliance.certifications",
      async rows(tx, world, actor) {
        const record = async (org: string, user: string) => {
          const [type] =
            await tx`insert into compliance.certification_types (org_id, name, validity_months) values (${org}, ${`First aid ${
              randomUUID().slice(0, 6)
            }`}, 12) returning id`;
          return (await tx`insert into compliance.certifications (org_id, user_id, type_id, completed_on) values (${org}, ${user}, ${
            type!.id
          }, '2030-01-01') returning id`)[0]!.id as string;
        };
        const holder = actor.userId && Object.values(world.people).some((p) => p.id === actor.userId)
          ? actor.userId
          : null;
        return {
          own: holder ? await record(world.a.id, holder) : null,
          other: await record(world.b.id, world.stranger.id),
        };
      },
      updateColumn: "issuer",
      // A member reads their own; managers their department's; owners, admins and executives all.
      // Recording and verifying needs compliance.training.manage. The suspended member reads nothing.
      expect: expectations({
        owner: "o n o o",
        admin: "o n o o",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a n a a",
      }),
    },
    {
      table: "compliance.certification_reminders",
      key: "certification_id",
      async rows(tx, world) {
        const reminder = async (org: string, user: string) => {
          const [type] = await tx`insert into compliance.certification_types (org_id, name) values (${org}, ${`T ${
            randomUUID().slice(0, 6)
          }`}) returning id`;
          const [cert] =
            await tx`insert into compliance.certifications (org_id, user_id, type_id, completed_on) values (${org}, ${user}, ${
              type!.id
            }, '2020-01-01') returning id`;
          await tx`insert into compliance.certification_reminders (certification_id, threshold) values (${
            cert!.id
          }, 'expired')`;
          return cert!.id as string;
        };
        return {
          own: await reminder(world.a.id, world.people.member.id),
          other: await reminder(world.b.id, world.stranger.id),
        };
      },
      updateColumn: "threshold",
      expect: expectations({ service_role: "a n a a" }),
    },
    {
      table: "compliance.certification_status",
      key: "user_id",
      async rows(tx, world, actor) {
        const require = async (org: string, department: string | null) => {
          await tx`insert into compliance.certification_types (org_id, name, required_department_ids) values (${org}, ${`Req ${
            randomUUID().slice(0, 6)
          }`}, ${department ? [department] : []})`;
        };
        await require(world.a.id, world.a.department);
        await require(world.b.id, world.b.department);
        await tx`insert into public.members (org_id, user_id, role_id, department_id) values (${world.b.id}, ${world.b.spare.id}, ${world.b.roles.viewer}, ${world.b.department})`;
        const inA = actor.userId && Object.values(world.people).some((p) => p.id === actor.userId) &&
          actor.userId !== world.people.owner.id;
        return { own: inA ? actor.userId! : null, other: world.b.spare.id };
      },
      updateColumn: "type_name",
      // Everyone in the actor's department must hold the type; the view is read-only.
      expect: expectations({
        admin: "o n n n",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a n n n",
      }),
    },
    {
      table: "compliance.contracts_documents",
      key: "record_id",
      async rows(tx, world, actor) {
        const link = async (org: string, owner: string | null, department: string | null) => {
          const contract = await contractIn(tx, org, owner, department);
          const [doc] =
            await tx`insert into public.documents (org_id, title, owner_id) values (${org}, 'Signed copy', ${owner}) returning id`;
          await tx`insert into compliance.contracts_documents (document_id, record_id, org_id) values (${
            doc!.id
          }, ${contract}, ${org})`;
          return contract;
        };
        return {
          own: actor.userId ? await link(world.a.id, ownerInA(world, actor), world.a.department) : null,
          other: await link(world.b.id, world.stranger.id, null),
        };
      },
      updateColumn: "org_id",
      // Links are readable by members; they are removed by writers of the document (deletes) — every
      // actor here owns the linked document, so those with core.documents.write may unlink.
      expect: expectations({
        owner: "o n n o",
        admin: "o n n o",
        executive: "o n n n",
        manager: "o n n o",
        member: "o n n o",
        viewer: "o n n n",
        suspended: "n n n n",
        service_role: "a n a a",
      }),
    },
  ];
}

export const specs: TableSpec<MatrixWorld>[] = [
  {
    table: "public.organizations",
    async rows(_tx, world, actor) {
      const member = Object.values(world.people).some((p) => p.id === actor.userId);
      return { own: member ? world.a.id : null, other: world.b.id };
    },
    insert: (world, actor) => ({
      own: actor.userId ? { id: randomUUID(), name: "New", slug: `new-${randomUUID().slice(0, 8)}` } : null,
      other: {
        id: randomUUID(),
        name: "Spoof",
        slug: `spoof-${randomUUID().slice(0, 8)}`,
        created_by: world.stranger.id,
      },
    }),
    updateColumn: "name",
    // Anyone signed in creates organizations they own (suspended and outsiders too).
    expect: expectations({
      outsider: "n o n n",
      owner: "o o o o",
      admin: "o o o n",
      executive: "o o n n",
      manager: "o o n n",
      member: "o o n n",
      viewer: "o o n n",
      suspended: "n o n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.departments",
    async rows(tx, world) {
      const [own] =
        await tx`insert into public.departments (org_id, name) values (${world.a.id}, ${`A ${randomUUID()}`}) returning id`;
      const [other] =
        await tx`insert into public.departments (org_id, name) values (${world.b.id}, ${`B ${randomUUID()}`}) returning id`;
      return { own: own!.id, other: other!.id };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, name: `New ${randomUUID()}` },
      other: { org_id: world.b.id, name: `New ${randomUUID()}` },
    }),
    updateColumn: "name",
    expect: expectations({
      owner: "o o o o",
      admin: "o o o o",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.roles",
    async rows(tx, world) {
      const [own] =
        await tx`insert into public.roles (org_id, key, name, rank) values (${world.a.id}, 'clerk', 'Clerk', 10) returning id`;
      const [other] =
        await tx`insert into public.roles (org_id, key, name, rank) values (${world.b.id}, 'clerk', 'Clerk', 10) returning id`;
      return { own: own!.id, other: other!.id };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, key: "intern", name: "Intern", rank: 5 },
      other: { org_id: world.b.id, key: "intern", name: "Intern", rank: 5 },
    }),
    updateColumn: "name",
    expect: expectations({
      owner: "o o o o",
      admin: "o o o o",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.role_permissions",
    key: "role_id",
    async rows(tx, world) {
      await tx`insert into public.role_permissions (role_id, permission, scope) values (${world.a.customRole}, 'core.members.read', 'org')`;
      await tx`insert into public.role_permissions (role_id, permission, scope) values (${world.b.customRole}, 'core.members.read', 'org')`;
      return { own: world.a.customRole, other: world.b.customRole };
    },
    insert: (world) => ({
      own: { role_id: world.a.customRole, permission: "core.audit.read", scope: "org" },
      other: { role_id: world.b.customRole, permission: "core.audit.read", scope: "org" },
    }),
    updateColumn: "scope",
    expect: expectations({
      owner: "o o o o",
      admin: "o o o o",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.members",
    async rows(tx, world) {
      const extraA =
        await tx`insert into public.members (org_id, user_id, role_id) values (${world.a.id}, ${world.a.spare.id}, ${world.a.roles.viewer}) returning id`;
      const extraB =
        await tx`insert into public.members (org_id, user_id, role_id) values (${world.b.id}, ${world.b.spare.id}, ${world.b.roles.viewer}) returning id`;
      return { own: extraA[0]!.id, other: extraB[0]!.id };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, user_id: world.outsider.id, role_id: world.a.roles.viewer },
      other: { org_id: world.b.id, user_id: world.outsider.id, role_id: world.b.roles.viewer },
    }),
    updateColumn: "role_id",
    // Nobody adds members through the API (invitations do); admins change and remove them.
    expect: expectations({
      owner: "o n o o",
      admin: "o n o o",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.profiles",
    async rows(_tx, world, actor) {
      return { own: actor.userId ?? null, other: world.stranger.id };
    },
    updateColumn: "display_name",
    // Your own profile; co-members' profiles are covered in tests/db/core_profiles.test.sql.
    // Profiles are created by the sign-up trigger, so nobody inserts them.
    expect: expectations({
      outsider: "o n o n",
      owner: "o n o n",
      admin: "o n o n",
      executive: "o n o n",
      manager: "o n o n",
      member: "o n o n",
      viewer: "o n o n",
      suspended: "o n o n",
      service_role: "a n a a",
    }),
  },
  {
    table: "public.permissions",
    key: "key",
    async rows(tx, _world, actor) {
      // Catalogue entries no role holds, so deleting one touches nothing else.
      await tx`insert into public.permissions (key, module, description) values
        ('matrix.fixture.own', 'matrix', 'fixture'), ('matrix.fixture.other', 'matrix', 'fixture')`;
      return { own: actor.claims.role === "anon" ? null : "matrix.fixture.own", other: "matrix.fixture.other" };
    },
    insert: () => ({ own: null, other: { key: "matrix.probe.write", module: "matrix", description: "probe" } }),
    updateColumn: "description",
    // The catalogue is global: everyone signed in reads all of it; only migrations change it.
    expect: expectations({
      outsider: "a n n n",
      owner: "a n n n",
      admin: "a n n n",
      executive: "a n n n",
      manager: "a n n n",
      member: "a n n n",
      viewer: "a n n n",
      suspended: "a n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.invitations",
    async rows(tx, world, actor) {
      const invite = async (org: string, role: string, email: string) =>
        (await tx`
        insert into public.invitations (org_id, email, role_id, token_hash, expires_at)
        values (${org}, ${email}, ${role}, encode(extensions.digest(${randomUUID()}, 'sha256'), 'hex'), now() + interval '1 day')
        returning id`)[0]!.id as string;
      // An outsider's "own" invitation is one sent to their address (in organization B).
      const own = actor.name === "outsider"
        ? await invite(world.b.id, world.b.roles.viewer, world.outsider.email)
        : await invite(world.a.id, world.a.roles.viewer, `invitee-${randomUUID()}@matrix.test`);
      return { own, other: await invite(world.b.id, world.b.roles.viewer, `other-${randomUUID()}@matrix.test`) };
    },
    insert: (world) => ({
      own: {
        org_id: world.a.id,
        email: `x-${randomUUID()}@matrix.test`,
        role_id: world.a.roles.viewer,
        token_hash: "0".repeat(64),
        expires_at: new Date(Date.now() + 3600e3),
      },
      other: {
        org_id: world.b.id,
        email: `x-${randomUUID()}@matrix.test`,
        role_id: world.b.roles.viewer,
        token_hash: "1".repeat(64),
        expires_at: new Date(Date.now() + 3600e3),
      },
    }),
    updateColumn: "email",
    // Inviters read their organization's, invitees their own; only the invitations function writes.
    expect: expectations({ outsider: "o n n n", owner: "o n n n", admin: "o n n n", service_role: "a a a a" }),
  },
  {
    table: "public.notifications",
    async rows(tx, world, actor) {
      const note = async (user: string) =>
        (await tx`insert into public.notifications (user_id, type, title) values (${user}, 'core.test', 'Hello') returning id`)[
          0
        ]!.id as string;
      return { own: actor.userId ? await note(actor.userId) : null, other: await note(world.stranger.id) };
    },
    insert: (world, actor) => ({
      own: actor.userId ? { user_id: actor.userId, type: "core.forged", title: "Forged" } : null,
      other: { user_id: world.stranger.id, type: "core.forged", title: "Forged" },
    }),
    updateColumn: "read_at",
    // Each user reads and marks their own; only private.notify creates them.
    expect: expectations({
      outsider: "o n o n",
      owner: "o n o n",
      admin: "o n o n",
      executive: "o n o n",
      manager: "o n o n",
      member: "o n o n",
      viewer: "o n o n",
      suspended: "o n o n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.notification_preferences",
    key: "user_id",
    async rows(tx, world, actor) {
      const pref = async (user: string) =>
        (await tx`insert into public.notification_preferences (user_id, type, channel, enabled) values (${user}, '*', 'email', false) returning user_id`)[
          0
        ]!.user_id as string;
      return { own: actor.userId ? await pref(actor.userId) : null, other: await pref(world.stranger.id) };
    },
    insert: (world, actor) => ({
      own: actor.userId ? { user_id: actor.userId, type: "core.test", channel: "in_app", enabled: false } : null,
      other: { user_id: world.stranger.id, type: "core.test", channel: "in_app", enabled: false },
    }),
    updateColumn: "enabled",
    expect: expectations({
      outsider: "o o o o",
      owner: "o o o o",
      admin: "o o o o",
      executive: "o o o o",
      manager: "o o o o",
      member: "o o o o",
      viewer: "o o o o",
      suspended: "o o o o",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.documents",
    async rows(tx, world, actor) {
      const doc = async (org: string, owner: string | null, department: string | null) =>
        (await tx`insert into public.documents (org_id, title, owner_id, department_id) values (${org}, 'Doc', ${owner}, ${department}) returning id`)[
          0
        ]!.id as string;
      return {
        own: actor.userId ? await doc(world.a.id, ownerInA(world, actor), world.a.department) : null,
        other: await doc(world.b.id, world.stranger.id, null),
      };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, title: "New", department_id: world.a.department },
      other: { org_id: world.b.id, title: "Spy" },
    }),
    updateColumn: "title",
    // Own row: a document the actor owns in their department. Deleting goes through the documents function.
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
  {
    table: "public.document_versions",
    async rows(tx, world, actor) {
      const version = async (org: string, owner: string | null) => {
        const [doc] =
          await tx`insert into public.documents (org_id, title, owner_id, department_id) values (${org}, 'Doc', ${owner}, ${
            org === world.a.id ? world.a.department : null
          }) returning id`;
        const path = `${org}/${doc!.id}/1/file.pdf`;
        return (await tx`insert into public.document_versions (document_id, org_id, version, storage_path, file_name, size_bytes, mime_type)
                         values (${doc!.id}, ${org}, 1, ${path}, 'file.pdf', 10, 'application/pdf') returning id`)[0]!
          .id as string;
      };
      return {
        own: actor.userId ? await version(world.a.id, ownerInA(world, actor)) : null,
        other: await version(world.b.id, world.stranger.id),
      };
    },
    updateColumn: "file_name",
    // Versions follow their document's readers; only the documents function writes them.
    expect: expectations({
      owner: "o n n n",
      admin: "o n n n",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a n a a",
    }),
  },
  {
    table: "public.resources",
    async rows(tx, world) {
      return { own: await resourceIn(tx, world.a.id), other: await resourceIn(tx, world.b.id) };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, name: "New room", time_zone: "UTC" },
      other: { org_id: world.b.id, name: "Spy room", time_zone: "UTC" },
    }),
    updateColumn: "name",
    expect: SCHEDULING_SETUP,
  },
  ...(["availability_rules", "availability_overrides", "time_off"] as const).map((name): TableSpec<MatrixWorld> => {
    const values = (org: string, resource: string) =>
      name === "availability_rules"
        ? { org_id: org, resource_id: resource, weekday: 1, start_time: "09:00", end_time: "17:00" }
        : name === "availability_overrides"
        ? { org_id: org, resource_id: resource, local_date: "2030-01-02" }
        : { org_id: org, resource_id: resource, period: "[2030-01-01 00:00+00,2030-01-02 00:00+00)" };
    return {
      table: `public.${name}`,
      async rows(tx, world) {
        const make = async (org: string) =>
          (await tx`insert into ${tx("public")}.${tx(name)} ${
            tx(values(org, await resourceIn(tx, org)))
          } returning id`)[0]!.id as string;
        return { own: await make(world.a.id), other: await make(world.b.id) };
      },
      updateColumn: "org_id",
      expect: expectations({
        owner: "o n o o",
        admin: "o n o o",
        executive: "o n n n",
        manager: "o n n n",
        member: "o n n n",
        viewer: "o n n n",
        service_role: "a n a a",
      }),
    };
  }),
  {
    table: "public.bookings",
    async rows(tx, world, actor) {
      const book = async (org: string, by: string | null) => {
        const resource = await resourceIn(tx, org);
        return (await tx`insert into public.bookings (org_id, resource_id, period, booked_by)
          values (${org}, ${resource}, tstzrange(now() + interval '1 day', now() + interval '1 day 1 hour'), ${by}) returning id`)[
          0
        ]!.id as string;
      };
      return { own: await book(world.a.id, ownerInA(world, actor)), other: await book(world.b.id, world.stranger.id) };
    },
    updateColumn: "title",
    // Bookings are written only through the scheduling function; members of the organization read them.
    expect: expectations({
      owner: "o n n n",
      admin: "o n n n",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a n a a",
    }),
  },
  {
    table: "public.booking_attendees",
    async rows(tx, world) {
      const attend = async (org: string) => {
        const resource = await resourceIn(tx, org);
        const [booking] = await tx`insert into public.bookings (org_id, resource_id, period)
          values (${org}, ${resource}, tstzrange(now() + interval '2 days', now() + interval '2 days 1 hour')) returning id`;
        return (await tx`insert into public.booking_attendees (org_id, booking_id, email) values (${org}, ${
          booking!.id
        }, ${`g-${randomUUID()}@matrix.test`}) returning id`)[0]!.id as string;
      };
      return { own: await attend(world.a.id), other: await attend(world.b.id) };
    },
    updateColumn: "name",
    expect: expectations({
      owner: "o n n n",
      admin: "o n n n",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a n a a",
    }),
  },
  {
    table: "public.calendar_feeds",
    async rows(tx, world, actor) {
      const feed = async (user: string) =>
        (await tx`insert into public.calendar_feeds (user_id, token_hash)
        values (${user}, encode(extensions.digest(${randomUUID()}, 'sha256'), 'hex')) returning id`)[0]!.id as string;
      return { own: actor.userId ? await feed(actor.userId) : null, other: await feed(world.stranger.id) };
    },
    updateColumn: "label",
    expect: expectations({
      outsider: "o n o n",
      owner: "o n o n",
      admin: "o n o n",
      executive: "o n o n",
      manager: "o n o n",
      member: "o n o n",
      viewer: "o n o n",
      suspended: "o n o n",
      service_role: "a n a a",
    }),
  },
  ...complianceSpecs(),
  {
    table: "public.audit_events",
    async rows(tx, world) {
      const row = (org: string) =>
        tx`
        insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_role, new_record)
        values (${org}, 'public', 'probe', 'INSERT', ${randomUUID()}, 'postgres', '{}') returning id`;
      return { own: String((await row(world.a.id))[0]!.id), other: String((await row(world.b.id))[0]!.id) };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, table_schema: "public", table_name: "forged", operation: "TRUNCATE", actor_role: "x" },
      other: {
        org_id: world.b.id,
        table_schema: "public",
        table_name: "forged",
        operation: "TRUNCATE",
        actor_role: "x",
      },
    }),
    updateColumn: "table_name",
    // Append-only: nobody writes through the API, not even the service role.
    expect: expectations({ owner: "o n n n", admin: "o n n n", executive: "o n n n", service_role: "a n n n" }),
  },
];
