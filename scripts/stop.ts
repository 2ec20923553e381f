/** npm stop: stops everything `npm start` started, by pid, and checks the ports are free. */
import { clusterAt, stopCluster } from "./lib/cluster.ts";
import { done, runMain, step, warn } from "./lib/log.ts";
import { isAlive, isPortFree } from "./lib/proc.ts";
import { stopProcessGroup } from "./lib/services.ts";
import { clearState, readState } from "./lib/stack.ts";
import { join } from "node:path";

async function main(): Promise<void> {
  const state = readState();
  if (!state) {
    done("Nothing to stop: the stack is not running.");
    return;
  }
  for (const [name, pid] of Object.entries(state.pids)) {
    if (!pid || !isAlive(pid)) continue;
    step(`Stopping ${name === "mail" ? "the mail catcher" : "the functions gateway"} (pid ${pid})`);
    stopProcessGroup(pid);
  }
  step("Stopping PostgreSQL");
  await stopCluster(clusterAt(join(state.home, "data"), state.dbPort));
  const deadline = Date.now() + 10_000;
  const ports = [state.dbPort, state.apiPort, state.mailWebPort, state.mailSmtpPort];
  while (Date.now() < deadline) {
    const busy = [];
    for (const port of ports) if (!(await isPortFree(port))) busy.push(port);
    if (busy.length === 0) {
      clearState();
      done("Stopped. The database is kept for the next `npm start` (`npm run db:reset` rebuilds it).");
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const pid of Object.values(state.pids)) if (pid && isAlive(pid)) process.kill(-pid, "SIGKILL");
  clearState();
  warn("Some processes had to be killed; the ports are free now.");
}

runMain(main);
