/**
 * The compliance workflow end to end, as a frontend drives it (RPCs run as each user, as PostgREST
 * would): a contract is proposed, the approvers get emails, two approvals approve it; the
 * dashboards follow.
 */
import { describe, expect, it } from "vitest";
import { asUser, createUser, testDb, type TestUser, userClaims } from "../../helpers/db.ts";
import { testEnv } from "../../helpers/env.ts";
import { waitForMail } from "../../helpers/mail.ts";

const sql = testDb();

async function member(org: string, role: string): Promise<TestUser> {
  const user = await createUser(sql);
  await sql`insert into public.members (org_id, user_id, role_id) select ${org}, ${user.id}, id from public.roles where org_id = ${org} and key = ${role}`;
  return user;
}

describe("contract approval", () => {
  it("proposed → the approvers get emails → two approvals → approved, and the dashboards follow", async () => {
    const owner = await createUser(sql);
    const org =
      (await sql`insert into public.organizations (name, slug, created_by) values ('Comp', ${`comp-${
        crypto.randomUUID().slice(0, 8)
      }`}, ${owner.id}) returning id`)[0]!.id as string;
    const [legal, executive, drafter] = [
      await member(org, "legal"),
      await member(org, "executive"),
      await member(org, "member"),
    ];
    await sql`insert into compliance.approval_policies (org_id, contract_type, required_approvals) values (${org}, '*', 2)`;

    const contract = await asUser(sql, userClaims(drafter), async (tx) => {
      const [c] =
        await tx`insert into compliance.contracts (org_id, reference, title, start_date, end_date, value, currency)
        values (${org}, 'MSA-7', 'Master services agreement', current_date + 1, current_date + 20, 50000, 'USD') returning id`;
      await tx`select compliance.propose_contract(${c!.id})`;
      return c!.id as string;
    });

    await fetch(`${testEnv.apiUrl}/functions/v1/email-dispatch`, {
      method: "POST",
      headers: { "x-dispatch-secret": process.env.DISPATCH_SECRET! },
    });
    for (const approver of [owner, legal, executive]) {
      const [mail] = await waitForMail(approver.email);
      expect(mail!.subject).toBe("Approval needed: Master services agreement (MSA-7)");
    }
    expect(
      await (await fetch(`${testEnv.mailUrl}/email`)).json().then((all: { to: { address: string }[] }[]) =>
        all.filter((m) => m.to.some((t) => t.address === drafter.email))
      ),
    ).toHaveLength(0);

    const pending = await asUser(
      sql,
      userClaims(legal),
      (tx) => tx`select reference from compliance.my_pending_approvals()`,
    );
    expect(pending.map((p) => p.reference)).toEqual(["MSA-7"]);
    await expect(asUser(sql, userClaims(drafter), (tx) => tx`select compliance.approve_contract(${contract})`)).rejects
      .toMatchObject({ code: "P0002" });
    await asUser(sql, userClaims(legal), (tx) => tx`select compliance.approve_contract(${contract}, 'Terms fine')`);
    await expect(asUser(sql, userClaims(legal), (tx) => tx`select compliance.approve_contract(${contract})`)).rejects
      .toMatchObject({ code: "GW409" });
    const [approved] = await asUser(
      sql,
      userClaims(executive),
      (tx) => tx`select status from compliance.approve_contract(${contract}, 'Go')`,
    );
    expect(approved!.status).toBe("approved");

    await asUser(sql, userClaims(drafter), (tx) => tx`select compliance.activate_contract(${contract})`);
    const byStatus = await asUser(
      sql,
      userClaims(owner),
      (tx) => tx`select status::text, contracts::int from compliance.contracts_by_status(${org})`,
    );
    expect(byStatus).toEqual([{ status: "active", contracts: 1 }]);
    const deadlines = await asUser(
      sql,
      userClaims(owner),
      (tx) => tx`select kind from compliance.upcoming_deadlines(${org}, 30)`,
    );
    expect(deadlines.map((d) => d.kind)).toEqual(["end"]);
    const notified =
      await sql`select count(*)::int as n from public.notifications where type = 'compliance.contract_approved' and data ->> 'contract_id' = ${contract}`;
    expect(notified[0]!.n).toBeGreaterThanOrEqual(3);
  });
});
