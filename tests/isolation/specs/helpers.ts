/**
 * What every spec file shares: the actors of the isolation world and the notation of expectations.
 *
 * Notation: `expect` rows read select / insert / update / delete; `none` nothing, `own` only in
 * scope (organization A, or the actor's own row), `all` also outside it.
 */
import type { Operation, Outcome, TableSpec } from "../matrix.ts";
import { type BaseWorld, baseWorld } from "../world.ts";

export type MatrixWorld = BaseWorld;
export const buildWorld = baseWorld;
export type Tx = Parameters<TableSpec<MatrixWorld>["rows"]>[0];
export type { TableSpec };
export type Expectations = Record<string, Record<Operation, Outcome>>;
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
export function expectations(table: Partial<Record<ActorName, string>>): Expectations {
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
export function ownerInA(world: MatrixWorld, actor: { userId?: string }): string | null {
  return actor.userId && Object.values(world.people).some((p) => p.id === actor.userId) ? actor.userId : null;
}
