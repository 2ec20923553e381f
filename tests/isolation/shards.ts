/**
 * The isolation matrix, in shards: shard k of n runs every n-th spec (the expected outcome of each
 * actor, then the MFA lockout). The shard files run in parallel, one database per worker, so the
 * matrix's time grows with the tables over the cores, not with the modules.
 */
import { describe, expect, it } from "vitest";
import { testDb } from "../helpers/db.ts";
import { describeMismatches, runLockout, runSpec } from "./matrix.ts";
import { buildWorld, specs } from "./specs/index.ts";

// Own membership and invitations to one's own address stay readable by design (core_mfa tests them);
// the matrix's notification rows are personal (no organization), and org notifications are hidden
// at aal1 as tests/db/core_mfa_everywhere.test.sql checks.
const EXEMPT_OWN = new Set(["public.members", "public.invitations", "public.notifications"]);

export function matrixShard(shard: number, of: number): void {
  const sql = testDb();
  const mine = specs.filter((_, index) => index % of === shard - 1);

  describe(`isolation matrix, shard ${shard} of ${of}`, () => {
    for (const spec of mine) {
      it(`${spec.table}: every actor gets exactly the expected outcome`, async () => {
        const mismatches = await runSpec(sql, buildWorld, spec);
        expect(mismatches, describeMismatches(mismatches)).toEqual([]);
      });
    }
  });

  // Organizations requiring MFA: an aal1 session of any member reaches none of the organization's
  // rows in any table carrying org_id (only their own membership, and invitations to their own
  // address, stay readable so the app can tell them MFA is required).
  describe(`MFA lockout, shard ${shard} of ${of}`, () => {
    for (const spec of mine) {
      it(`${spec.table}: nothing at aal1 once organization A requires MFA`, async ({ skip }) => {
        const [probe] = await sql<{ has_org: boolean }[]>`
          select exists (select 1 from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
                         where c.table_schema || '.' || c.table_name = ${spec.table} and c.column_name = 'org_id' and t.table_type = 'BASE TABLE') as has_org`;
        if (!probe?.has_org || EXEMPT_OWN.has(spec.table)) skip();
        const mismatches = await runLockout(
          sql,
          buildWorld,
          spec,
          async (tx, world) =>
            void await tx`update public.organizations set require_mfa = true where id = ${world.a.id}`,
          // The owner reaches everything, a manager their department, a member their own rows: every scope.
          ["owner", "manager", "member"],
        );
        expect(mismatches, describeMismatches(mismatches)).toEqual([]);
      });
    }
  });
}
