// What the CLI tests share: a finished run of the command, and the one-line error it must print.
import { spawn } from 'node:child_process';
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

/** Runs the built CLI (`node dist/entries/cli.js …`) in `cwd`, with `env` added to the environment. */
export function runCli(cli: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** An IDX file's dims and values (u8 or f32, big-endian), read from the format's definition. */
export function readIdxFile(bytes: Uint8Array): { dims: number[]; values: Float32Array | Uint8Array; type: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const type = bytes[2],
    rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const at = 4 + 4 * rank,
    n = dims.reduce((a, b) => a * b, 1);
  if (type !== 0x0d) return { dims, values: bytes.slice(at, at + n), type };
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = view.getFloat32(at + 4 * i, false);
  return { dims, values, type };
}
