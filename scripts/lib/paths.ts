/** Where things live: the repository root and the git-ignored local state folder. */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const stateDir: string = join(root, ".groundwork");
export const bin = (name: string): string => join(root, "node_modules", ".bin", name);
export const pgBin = (name: string): string => join("/usr/lib/postgresql/15/bin", name);
