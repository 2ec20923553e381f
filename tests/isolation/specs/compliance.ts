/** Isolation specs of the compliance module's tables and views. */
import { randomUUID } from "node:crypto";
import { expectations, type MatrixWorld, ownerInA, type TableSpec } from "./helpers.ts";

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

export const specs: TableSpec<MatrixWorld>[] = (() => {
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
})();
