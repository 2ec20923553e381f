/** Step-by-step progress output for the stack and test scripts. */

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

function paint(code: string, text: string): string {
  return useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function step(message: string): void {
  console.log(`${paint("36", "›")} ${message}`);
}

export function done(message: string): void {
  console.log(`${paint("32", "✓")} ${message}`);
}

export function warn(message: string): void {
  console.warn(`${paint("33", "!")} ${message}`);
}

/** A failure the user can act on: one clear line, no stack trace. */
export class FatalError extends Error {
  override name = "FatalError";
}

/** Runs a script's main function; a FatalError prints one line and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof FatalError) {
      console.error(`${paint("31", "✗")} ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  });
}
