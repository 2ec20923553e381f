/**
 * Mail in tests: the mail catcher's API (maildev, the native stack's catcher), and real SMTP
 * servers of our own (smtp-server) that refuse or hold messages, for failure tests.
 */
import { SMTPServer } from "smtp-server";
import { testEnv } from "./env.ts";

export interface CaughtMail {
  id: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  to: { address: string }[];
  headers: Record<string, string>;
}

/** Every message the catcher holds for a recipient. */
export async function mailFor(recipient: string): Promise<CaughtMail[]> {
  const response = await fetch(`${testEnv.mailUrl}/email`);
  const all = (await response.json()) as CaughtMail[];
  return all.filter((m) => m.to.some((t) => t.address.toLowerCase() === recipient.toLowerCase()));
}

/** Waits until the catcher holds `count` messages for the recipient (or fails after the timeout). */
export async function waitForMail(recipient: string, count = 1, timeoutMs = 15_000): Promise<CaughtMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = await mailFor(recipient);
    if (mail.length >= count) return mail;
    if (Date.now() > deadline) throw new Error(`Expected ${count} message(s) for ${recipient}, found ${mail.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestSmtpServer {
  port: number;
  /** Message-IDs of the messages this server accepted, in order. */
  accepted: string[];
  /** How many DATA commands arrived (accepted or not). */
  attempts: number;
  /** Stops answering DATA: messages from now on wait until release() (or the client dies). */
  hold(): void;
  release(): void;
  /** Drops the held messages without accepting them (their client is gone). */
  discardHeld(): void;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** SMTP reply code and text for every message (e.g. 451 to refuse for now, 550 for good). */
  refuseWith?: { code: number; message: string };
  /** Called when a message's data has arrived, before it is accepted. */
  onData?: (server: TestSmtpServer, index: number) => void;
}

/** A real SMTP server on a free loopback port that records (or refuses) what it receives. */
export async function startTestSmtp(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  let holding = false;
  const waiting: (() => void)[] = [];
  const state: TestSmtpServer = {
    port: 0,
    accepted: [],
    attempts: 0,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const go of waiting.splice(0)) go();
    },
    discardHeld: () => {
      holding = false;
      waiting.splice(0);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
      stream.on("end", () => {
        const index = state.attempts++;
        options.onData?.(state, index);
        const finish = () => {
          if (options.refuseWith) {
            const error = Object.assign(new Error(options.refuseWith.message), {
              responseCode: options.refuseWith.code,
            });
            return callback(error);
          }
          state.accepted.push(/^message-id:\s*(\S+)/im.exec(raw)?.[1] ?? "(none)");
          callback();
        };
        if (holding) waiting.push(finish);
        else finish();
      });
    },
  });
  // A client that dies mid-session (a killed dispatcher, a crash test) resets its connection: expected
  // here, and without a listener smtp-server would raise it as an uncaught error.
  server.on("error", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.port = (server.server.address() as { port: number }).port;
  return state;
}
