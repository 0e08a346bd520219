// Errors the command line reports as one line: usage errors (exit 2) and everything else (exit 1).

/** An error whose message is shown as it is, with an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad command line: unknown command or option, bad or missing value. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The message of anything thrown, on one line, without the program name repeated. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .replace(/\s*\n\s*/g, ' ')
      .replace(/^wasm-autoencoder:\s*/, '')
      .trim() || 'unknown error'
  );
}

/** The exit code an error maps to. */
export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : 1;
}
