/**
 * npm start repairs a half-running stack: run beside any other stack (its own state folder and
 * ports), PostgreSQL is killed as a crash would, and a second `npm start` restarts the database
 * only — the gateway keeps its process — and answers health again; a third says it is running.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bin, root } from "../../scripts/lib/paths.ts";
import { freePort } from "../../scripts/lib/proc.ts";

const stateDir = mkdtempSync(join(tmpdir(), "groundwork-start-"));
let env: NodeJS.ProcessEnv;
let clusterHome: string | undefined;

function npm(script: "start" | "stop"): { code: number; output: string } {
  const result = spawnSync(bin("tsx"), [join(root, "scripts", `${script}.ts`)], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 240_000,
  });
  return { code: result.status ?? -1, output: `${result.stdout}\n${result.stderr}` };
}

afterAll(() => {
  if (env) npm("stop");
  rmSync(stateDir, { recursive: true, force: true });
  if (clusterHome?.startsWith("/var/tmp/groundwork-")) rmSync(clusterHome, { recursive: true, force: true });
});

describe("npm start on a half-running stack", () => {
  it("starts everything, restarts only the database after it died, and knows when all is up", async () => {
    const [api, db, web, smtp] = [await freePort(), await freePort(), await freePort(), await freePort()];
    env = {
      ...process.env,
      GROUNDWORK_STATE_DIR: stateDir,
      GROUNDWORK_API_PORT: String(api),
      GROUNDWORK_DB_PORT: String(db),
      GROUNDWORK_MAIL_WEB_PORT: String(web),
      GROUNDWORK_MAIL_SMTP_PORT: String(smtp),
    };
    const first = npm("start");
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain("Groundwork is running");
    const health = () => fetch(`http://127.0.0.1:${api}/functions/v1/health`).then((r) => r.status, () => 0);
    expect(await health()).toBe(200);
    const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")) as {
      home: string;
      pids: { gateway: number };
    };
    clusterHome = state.home;

    // A crash of PostgreSQL: the postmaster and its children die at once.
    const postmaster = Number(readFileSync(join(state.home, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], { encoding: "utf8" }).split("\n")
      .map(Number).filter(Boolean);
    for (const pid of [postmaster, ...children]) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    expect(await health()).toBe(503);

    const second = npm("start");
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain("starting what is down: database");
    expect(second.output).not.toContain("Starting the mail catcher");
    const after = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")) as { pids: { gateway: number } };
    expect(after.pids.gateway).toBe(state.pids.gateway);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await health();
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);

    const third = npm("start");
    expect(third.code, third.output).toBe(0);
    expect(third.output).toContain("already running");
  }, 300_000);
});
