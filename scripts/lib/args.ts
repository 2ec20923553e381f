/** Command-line options of the project's scripts: --name value. */
export function option(name: string, argv = process.argv.slice(2)): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The arguments that are neither options nor their values. */
export function positionals(withValues: string[], argv = process.argv.slice(2)): string[] {
  return argv.filter((arg, i) => !arg.startsWith("--") && !(i > 0 && withValues.includes(argv[i - 1]!)));
}
