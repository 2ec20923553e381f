/**
 * Type-level test: a supabase-js client typed with the generated Database checks table names,
 * columns, enums and RPC arguments at compile time. tsc checks this file in npm test; the checks
 * live in functions that are type-checked but never called, so no client is constructed.
 */
import { createClient } from "@supabase/supabase-js";
import { describe, expectTypeOf, it } from "vitest";
import type { Database, Enums, Tables, TablesInsert } from "../../types/database.ts";

const client = () => createClient<Database>("http://127.0.0.1:54321", "anon-key");

function selectTypes(): void {
  const query = client().from("organizations").select("id, name, slug, require_mfa, archived_at");
  type Row = NonNullable<Awaited<typeof query>["data"]>[number];
  expectTypeOf<Row>().toEqualTypeOf<
    { id: string; name: string; slug: string; require_mfa: boolean; archived_at: string | null }
  >();
}

function enumInsertAndViewTypes(): void {
  expectTypeOf<Tables<"members">["status"]>().toEqualTypeOf<"active" | "suspended">();
  expectTypeOf<Enums<"permission_scope">>().toEqualTypeOf<"own" | "department" | "org">();
  expectTypeOf<TablesInsert<"departments">>().toHaveProperty("org_id").toEqualTypeOf<string>();
  const events = client().from("audit_events").select("id, table_name, operation").order("id", { ascending: false })
    .limit(50);
  type Event = NonNullable<Awaited<typeof events>["data"]>[number];
  expectTypeOf<Event>().toEqualTypeOf<{ id: number; table_name: string; operation: string }>();
}

function rpcTypes(): void {
  const created = client().rpc("create_organization", { p_name: "Acme", p_slug: "acme" });
  type Created = NonNullable<Awaited<typeof created>["data"]>;
  expectTypeOf<Created["slug"]>().toEqualTypeOf<string>();
  // @ts-expect-error p_slug is required
  void client().rpc("create_organization", { p_name: "Acme" });
  // @ts-expect-error there is no such table
  void client().from("no_such_table");
}

describe("generated types with supabase-js", () => {
  it("type-check selects, enums, inserts, views and RPCs (tsc)", () => {
    expectTypeOf(selectTypes).returns.toBeVoid();
    expectTypeOf(enumInsertAndViewTypes).returns.toBeVoid();
    expectTypeOf(rpcTypes).returns.toBeVoid();
  });
});
