/** Isolation specs of the core's tables and views (schema public). */
import { randomUUID } from "node:crypto";
import type { Org } from "../world.ts";
import { expectations, type MatrixWorld, ownerInA, type TableSpec, type Tx } from "./helpers.ts";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const randomPrefix = () =>
  Array.from(randomUUID().replaceAll("-", "").slice(0, 8), (c) => BASE32[parseInt(c, 16)]).join("");
const keyRow = (org: string, user: string, role: string) => ({
  org_id: org,
  name: "Spoof",
  environment: "test",
  prefix: randomPrefix(),
  secret_hash: "1".repeat(64),
  user_id: user,
  role_id: role,
});

/** A resource in an organization (for the scheduling specs). */
async function resourceIn(tx: Tx, org: string): Promise<string> {
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
    table: "public.api_keys",
    async rows(tx, world) {
      // A key's member and role are made by private.create_api_key; here a plain member stands in.
      const key = async (org: Org, prefix: string) => {
        await tx`insert into public.members (org_id, user_id, role_id) values (${org.id}, ${org.spare.id}, ${org.roles.viewer})`;
        return (await tx`
          insert into public.api_keys (org_id, name, environment, prefix, secret_hash, user_id, role_id)
          values (${org.id}, 'Matrix', 'test', ${prefix}, repeat('0', 64), ${org.spare.id}, ${org.roles.viewer})
          returning id`)[0]!.id as string;
      };
      return { own: await key(world.a, randomPrefix()), other: await key(world.b, randomPrefix()) };
    },
    insert: (world) => ({
      own: keyRow(world.a.id, world.people.viewer.id, world.a.roles.viewer),
      other: keyRow(world.b.id, world.stranger.id, world.b.roles.owner),
    }),
    updateColumn: "name",
    // Key managers read their organization's keys; only the api-keys workflows write them.
    expect: expectations({ owner: "o n n n", admin: "o n n n", service_role: "a a a a" }),
  },
  {
    table: "public.imports",
    async rows(tx, world, actor) {
      // Made by private.stage_import as the member who uploads; here inserted for the actor when they are one.
      const imported = async (org: string, by: string) =>
        (await tx`
          insert into public.imports (org_id, created_by, kind, file_name, header)
          values (${org}, ${by}, 'compliance.contract', 'matrix.csv', '{Reference}') returning id`)[0]!.id as string;
      return {
        own: await imported(world.a.id, ownerInA(world, actor) ?? world.people.owner.id),
        other: await imported(world.b.id, world.stranger.id),
      };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, kind: "compliance.contract", file_name: "x.csv", header: ["a"] },
      other: { org_id: world.b.id, kind: "compliance.contract", file_name: "x.csv", header: ["a"] },
    }),
    updateColumn: "file_name",
    // Everyone reads the imports they started (owner and admin: all of the organization's); only
    // the imports workflows write.
    expect: expectations({
      owner: "o n n n",
      admin: "o n n n",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.exports",
    async rows(tx, world, actor) {
      const exported = async (org: string, by: string) =>
        (await tx`
          insert into public.exports (org_id, created_by, kind, format, delivery)
          values (${org}, ${by}, 'compliance.contract', 'csv', 'download') returning id`)[0]!.id as string;
      return {
        own: await exported(world.a.id, ownerInA(world, actor) ?? world.people.owner.id),
        other: await exported(world.b.id, world.stranger.id),
      };
    },
    insert: (world) => ({
      own: { org_id: world.a.id, kind: "compliance.contract", format: "csv", delivery: "download" },
      other: { org_id: world.b.id, kind: "compliance.contract", format: "csv", delivery: "download" },
    }),
    updateColumn: "status",
    // Everyone reads the exports they made (owner and admin: all of the organization's); only the
    // exports workflows write.
    expect: expectations({
      owner: "o n n n",
      admin: "o n n n",
      executive: "o n n n",
      manager: "o n n n",
      member: "o n n n",
      viewer: "o n n n",
      service_role: "a a a a",
    }),
  },
  {
    table: "public.saved_views",
    async rows(tx, world) {
      const view = async (org: string, owner: string) =>
        (await tx`
          insert into public.saved_views (org_id, owner_id, kind, name, filter, sharing)
          values (${org}, ${owner}, 'compliance.contract', ${`View ${randomUUID()}`}, '{}', 'org') returning id`)[0]!
          .id as string;
      return { own: await view(world.a.id, world.people.owner.id), other: await view(world.b.id, world.stranger.id) };
    },
    insert: (world, actor) => ({
      // Members add views they own (the owner is the caller, not a column they set).
      own: {
        org_id: world.a.id,
        kind: "compliance.contract",
        name: "Mine",
        ...(actor.userId ? {} : { owner_id: world.people.owner.id }),
      },
      other: { org_id: world.b.id, kind: "compliance.contract", name: "Theirs", owner_id: world.stranger.id },
    }),
    updateColumn: "name",
    // A view shared with the organization is read by its members; only its owner changes it.
    expect: expectations({
      owner: "o o o o",
      admin: "o o n n",
      executive: "o o n n",
      manager: "o o n n",
      member: "o o n n",
      viewer: "o o n n",
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
