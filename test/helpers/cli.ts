// What the CLI tests share: a finished run of the command, and the one-line error it must print.
import { expect } from 'vitest';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory in KB, for runs that measure it. */
  maxRss?: number;
}

/** One clear line on stderr, no stack trace, and the exit code. */
export function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wasm-autoencoder: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
