// Reading inputs with errors that name the file, and writing outputs atomically.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { constants } from 'node:fs';
import { access, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, oneLine } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** "cannot <verb> <path>: <reason>", from a node:fs error. */
export function fsError(verb: string, path: string, error: unknown): CliError {
  const e = error as NodeJS.ErrnoException;
  const reason = (e?.code && REASONS[e.code]) ?? (e?.message ?? String(error)).replace(/^[A-Z]+: /, '');
  return new CliError(`cannot ${verb} ${path}: ${reason}`);
}

/** A file's bytes as a plain Uint8Array (not a Buffer). */
export async function readBytes(path: string, what = 'file'): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    throw fsError(`read ${what}`, path, error);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function kindOf(path: string, what: string): Promise<'file' | 'folder'> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return 'folder';
    if (s.isFile()) return 'file';
    throw new CliError(`${what} ${path} is neither a file nor a folder`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fsError(`read ${what}`, path, error);
  }
}

/** Checks, before any work, that `path` can be written: its folder exists and is writable,
 *  and it is not itself a folder. */
export async function checkWritable(path: string, flagName: string): Promise<void> {
  const folder = dirname(path);
  try {
    if ((await stat(path)).isDirectory()) throw new CliError(`cannot write ${flagName} ${path}: it is a folder`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(`write ${flagName}`, path, error);
  }
  try {
    if (!(await stat(folder)).isDirectory()) throw new CliError(`cannot write ${flagName} ${path}: ${folder} is not a folder`);
    await access(folder, constants.W_OK);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot write ${flagName} ${path}: ${code === 'ENOENT' ? `folder ${folder} does not exist` : `folder ${folder}: ${REASONS[code ?? ''] ?? oneLine(error)}`}`);
  }
}

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same folder, then renamed
 * over the target, so a failed or interrupted write leaves any old file as it was.
 */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  pending.add(tmp);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw fsError('write', path, error);
  } finally {
    pending.delete(tmp);
  }
}

const pending = new Set<string>();

/** Removes the temporary files of writes in progress: for a process that exits at once. */
export function removePendingTemporaries(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created yet, or already renamed
    }
  }
  pending.clear();
}
