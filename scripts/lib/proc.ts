/** Child processes and ports: run a command, wait for a port, find a free one. */
import { spawn, type SpawnOptions } from "node:child_process";
import { connect, createServer } from "node:net";
import { FatalError } from "./log.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output. Never throws on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: SpawnOptions & { input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    child.on("error", (error) => reject(new FatalError(`Cannot run ${command}: ${error.message}`)));
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin?.end(options.input ?? "");
  });
}

/** Runs a command with its output shown live; resolves to the exit code. */
export function runLive(command: string, args: string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: "inherit", ...options });
    child.on("error", (error) => reject(new FatalError(`Cannot run ${command}: ${error.message}`)));
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once("error", () => resolvePromise(false));
    server.listen(port, host, () => server.close(() => resolvePromise(true)));
  });
}

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  for (const [what, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) {
      throw new FatalError(
        `Port ${port} (${what}) is already in use: stop whatever holds it (npm stop, or lsof -i :${port}) and try again.`,
      );
    }
  }
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once("error", () => resolvePromise(false));
  });
}

export async function waitForPort(port: number, what: string, timeoutMs = 20_000, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port, host)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FatalError(`${what} did not start listening on port ${port} within ${timeoutMs / 1000}s.`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
