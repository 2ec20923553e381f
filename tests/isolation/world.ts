/**
 * The world the isolation matrix runs in: who acts. Built inside the matrix's transaction (as
 * postgres) and rolled back after each case.
 */
import { randomUUID } from "node:crypto";
import type { Tx } from "../../functions/_shared/db.ts";
import type { Actor, World } from "./matrix.ts";

const hour = () => Math.floor(Date.now() / 1000) + 3600;

export async function insertUser(tx: Tx, label: string): Promise<{ id: string; email: string }> {
  const email = `${label}-${randomUUID()}@matrix.test`;
  const [row] = await tx<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email}, '', now(),
            '{"provider":"email"}', '{}', now(), now())
    returning id`;
  return { id: row!.id, email };
}

export function userActor(name: string, user: { id: string; email: string }, aal: "aal1" | "aal2" = "aal1"): Actor {
  return {
    name,
    userId: user.id,
    claims: { role: "authenticated", sub: user.id, email: user.email, aud: "authenticated", aal, session_id: randomUUID(), exp: hour() },
  };
}

export interface BaseWorld extends World {
  /** Someone signed in who belongs to nothing. */
  outsider: { id: string; email: string };
  /** Another signed-in user, owner of the rows outside an actor's scope. */
  stranger: { id: string; email: string };
}

/** anon, an outsider (signed in, no membership) and the service role. */
export async function baseWorld(tx: Tx): Promise<BaseWorld> {
  const outsider = await insertUser(tx, "outsider");
  const stranger = await insertUser(tx, "stranger");
  return {
    outsider,
    stranger,
    actors: [
      { name: "anon", claims: { role: "anon", exp: hour() } },
      userActor("outsider", outsider),
      { name: "service_role", claims: { role: "service_role", exp: hour() } },
    ],
  };
}
