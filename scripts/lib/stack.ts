/** State of the native stack started by `npm start`, shared by start, stop and reset. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Cluster, clusterAt, prepareClusterHome, psql } from "./cluster.ts";
import { stateDir } from "./paths.ts";
import { isAlive } from "./proc.ts";
import { accessToken } from "./tokens.ts";

export interface StackState {
  home: string;
  dbPort: number;
  apiPort: number;
  mailWebPort: number;
  mailSmtpPort: number;
  pids: { gateway?: number; mail?: number };
}

const stateFile = join(stateDir, "state.json");
export const logDir = join(stateDir, "logs");

export function readState(): StackState | null {
  if (!existsSync(stateFile)) return null;
  return JSON.parse(readFileSync(stateFile, "utf8")) as StackState;
}

export function writeState(state: StackState): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

export function clearState(): void {
  rmSync(stateFile, { force: true });
}

export function isRunning(state: StackState | null): boolean {
  return Boolean(state && Object.values(state.pids).some((pid) => pid && isAlive(pid)));
}

/** The local cluster of `npm start` (under .groundwork/, or /var/tmp when postgres cannot reach it). */
export async function localCluster(port: number): Promise<Cluster> {
  const home = await prepareClusterHome(join(stateDir, "db"));
  return clusterAt(join(home, "data"), port);
}

export interface DemoToken {
  email: string;
  token: string;
}

/** A signed access token per demo user, each with a real auth.sessions row (aal1). */
export async function demoTokens(cluster: Cluster): Promise<DemoToken[]> {
  const rows = await psql(
    cluster.url(),
    `
    with fresh as (
      insert into auth.sessions (id, user_id, created_at, updated_at, aal)
      select gen_random_uuid(), u.id, now(), now(), 'aal1' from auth.users u where u.deleted_at is null
      returning id, user_id
    )
    select json_agg(json_build_object('id', u.id, 'email', u.email, 'session', f.id,
             'app', u.raw_app_meta_data, 'user', u.raw_user_meta_data) order by u.email)
    from fresh f join auth.users u on u.id = f.user_id`,
  );
  if (!rows) return [];
  const users = JSON.parse(rows) as {
    id: string;
    email: string;
    session: string;
    app: Record<string, unknown> | null;
    user: Record<string, unknown> | null;
  }[];
  return Promise.all(users.map(async (u) => ({
    email: u.email,
    token: await accessToken(
      { id: u.id, email: u.email, app_metadata: u.app ?? undefined, user_metadata: u.user ?? undefined },
      { sessionId: u.session, expiresIn: 7 * 24 * 3600 },
    ),
  })));
}
