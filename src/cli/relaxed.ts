// Relaxed SIMD for command-line users on Node 20/21: there WebAssembly.validate accepts the
// relaxed kernels only under --experimental-wasm-relaxed-simd, a flag NODE_OPTIONS refuses. A
// command that computes restarts itself once under it: same node, same arguments, output and
// exit code (or signal) passed through. WASM_AUTOENCODER_RELAXED_RESTART marks the second run, so
// it never restarts again; --no-relaxed, --kernels simd or WASM_AUTOENCODER_NO_RELAXED=1 opt out.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { supportsRelaxedSimd } from '../entries/index.js';

const RESTART_ENV = 'WASM_AUTOENCODER_RELAXED_RESTART';
const NO_RELAXED_ENV = 'WASM_AUTOENCODER_NO_RELAXED';
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
/** The commands that run kernels (bench starts its own node with the flag). */
const COMPUTING = new Set([
  'train',
  'reconstruct',
  'encode',
  'decode',
  'sample',
  'interpolate',
  'compress',
  'decompress',
  'denoise',
  'anomaly',
]);

/** Node's major version, where the flag is known: it was added as relaxed SIMD shipped unflagged
 *  in V8 11.4+ (Node 22), and Node 20 and 21 still know it. */
function knowsFlag(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  return major === 20 || major === 21;
}

/** Whether the command line `args` should run again under the flag (pure apart from its inputs). */
export function wantsRelaxedRestart(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  relaxedNow: boolean,
  flagKnown: boolean,
): boolean {
  if (relaxedNow || !flagKnown) return false;
  const optedOut = (env[NO_RELAXED_ENV] ?? '') !== '' && env[NO_RELAXED_ENV] !== '0';
  if (env[RESTART_ENV] !== undefined || optedOut) return false;
  if (!COMPUTING.has(args[0] ?? '')) return false;
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a === '-h' || a === '--help' || a === '--no-relaxed') return false;
    if (a === '--kernels=simd' || (a === '--kernels' && args[i + 1] === 'simd')) return false;
  }
  return true;
}

/** Runs the command again under the flag when that gets the relaxed kernels; null when not. */
export function relaxedRestart(args: readonly string[]): (() => Promise<number>) | null {
  if (!wantsRelaxedRestart(args, process.env, supportsRelaxedSimd(), knowsFlag())) return null;
  return () => restart(args);
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function restart(args: readonly string[]): Promise<number> {
  // Its own process group, so that a terminal's Ctrl-C reaches it once (forwarded from here), not
  // twice (train reads a second Ctrl-C as "quit without saving"). Not on Windows, where a detached
  // child gets a console window of its own.
  const child = spawn(process.execPath, [...process.execArgv, RELAXED_FLAG, process.argv[1], ...args], {
    stdio: 'inherit',
    env: { ...process.env, [RESTART_ENV]: '1' },
    detached: process.platform !== 'win32',
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  const leaveTogether = (): void => {
    child.kill('SIGTERM');
  };
  process.on('exit', leaveTogether);
  return new Promise<number>((resolve, reject) => {
    child.on('error', (error) => {
      for (const s of FORWARDED) process.off(s, forward);
      process.off('exit', leaveTogether);
      reject(new Error(`cannot restart under ${RELAXED_FLAG}: ${error.message}; run with --no-relaxed`));
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      process.off('exit', leaveTogether);
      if (signal !== null) {
        // Ended by a signal: end the same way, so that a caller sees what the user's shell would.
        process.kill(process.pid, signal);
        resolve(128 + (osConstants.signals as Partial<Record<NodeJS.Signals, number>>)[signal]!); // where that did not end it (Windows)
        return;
      }
      resolve(code ?? 1);
    });
  });
}
