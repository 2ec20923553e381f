/** Where things live: the repository root and the git-ignored local state folder. */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The native stack's state (cluster, logs, pids); GROUNDWORK_STATE_DIR runs a second stack elsewhere. */
export const stateDir: string = process.env.GROUNDWORK_STATE_DIR || join(root, ".groundwork");
export const bin = (name: string): string => join(root, "node_modules", ".bin", name);
export const pgBin = (name: string): string => join("/usr/lib/postgresql/15/bin", name);
