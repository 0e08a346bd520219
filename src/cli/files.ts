// Reading inputs with errors that name the file, and writing outputs atomically.
import { randomBytes } from 'node:crypto';
import { close, constants, fsync, openSync, unlinkSync, write } from 'node:fs';
import {
  access,
  lstat,
  open,
  readdir,
  realpath,
  rename,
  stat,
  statfs,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { concatBytes } from '../util/bytes.js';
import { CliError, oneLine } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/** "cannot <verb> <path>: <reason>", from a node:fs error. */
export function fsError(verb: string, path: string, error: unknown): CliError {
  const e = error as NodeJS.ErrnoException;
  const reason = (e?.code && REASONS[e.code]) ?? (e?.message ?? String(error)).replace(/^[A-Z]+: /, '');
  return new CliError(`cannot ${verb} ${path}: ${reason}`);
}

/** Largest file the CLI reads whole: a model of 2^25 parameters with its optimizer state is
 *  about 403 MB, and no image or code file of a model that size comes near 1 GiB. */
export const MAX_READ_BYTES = 2 ** 30;
const READ_CHUNK = 1 << 20;

/**
 * A file's bytes as a plain Uint8Array (not a Buffer), at most `maxBytes`: a regular file's size
 * is checked before reading, and anything else (a FIFO, /dev/zero) is read in chunks and refused
 * as soon as it passes the limit, instead of growing until memory runs out.
 */
export async function readBytes(path: string, what = 'file', maxBytes = MAX_READ_BYTES): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fsError(`read ${what}`, path, error);
  }
  const tooLarge = (size: string): CliError =>
    new CliError(
      `cannot read ${what} ${path}: it is ${size}, more than the ${maxBytes.toLocaleString('en-US')} bytes this reads`,
    );
  try {
    const info = await handle.stat();
    if (info.isFile()) {
      if (info.size > maxBytes) throw tooLarge(`${info.size.toLocaleString('en-US')} bytes`);
      const buf = await handle.readFile();
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge('longer than that');
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return concatBytes(chunks, total);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fsError(`read ${what}`, path, error);
  } finally {
    await handle.close();
  }
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

/** What a directory entry is, for messages: "a symbolic link", "a FIFO (named pipe)", ... */
function entryKind(s: {
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Throws unless `path` is a regular file or nothing; `shown` names it ("--out model.wae").
 * lstat, not stat: the rename that writes the output replaces the entry itself, so a symbolic
 * link, a FIFO or a device node would be swapped for a file (as root, a device node in /dev).
 */
async function checkTarget(path: string, shown: string): Promise<void> {
  let s;
  try {
    s = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError('write', shown, error);
  }
  if (!s.isFile()) throw new CliError(`cannot write ${shown}: it is ${entryKind(s)}, not a regular file`);
}

// Kernel file systems, by statfs type (linux/magic.h). Their files are kernel interfaces: no
// file can be made beside them, so the write-then-rename that keeps outputs atomic fails, and
// only after all the work (training) is done.
const KERNEL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x6165676c, 'pstore'],
  [0xf97cff8c, 'selinuxfs'],
  [0x19800202, 'mqueue'],
  [0x65735543, 'fusectl'],
]);
const KERNEL_FOLDERS = ['/proc', '/sys', '/dev'];

/**
 * Why `folder` (a real path, no symlinks left) cannot hold outputs, or null. Two checks, as
 * neither is enough alone: the path prefix catches /dev, whose devtmpfs reports the same statfs
 * type as any tmpfs (so /dev/shm, a real tmpfs for files, stays allowed), and works where statfs
 * types mean nothing (not Linux); the statfs type catches proc and sysfs mounted elsewhere (a
 * container's or a chroot's /proc, a bind mount), which no realpath reveals.
 */
async function kernelFileSystem(folder: string): Promise<string | null> {
  if (sep === '/') {
    for (const root of KERNEL_FOLDERS) {
      const inside = folder === root || folder.startsWith(`${root}/`);
      if (inside && !(root === '/dev' && (folder === '/dev/shm' || folder.startsWith('/dev/shm/'))))
        return `in ${root}`;
    }
  }
  if (process.platform === 'linux') {
    try {
      const type = KERNEL_FILE_SYSTEMS.get((await statfs(folder)).type);
      if (type !== undefined) return `on a ${type} file system`;
    } catch {
      // statfs unavailable: the prefix check stands alone
    }
  }
  return null;
}

/**
 * Checks, before any work, that `path` can be written: it is a regular file or nothing, and
 * its folder exists, is writable and is not in a kernel file system (/proc, /sys, /dev).
 */
export async function checkWritable(path: string, flagName: string): Promise<void> {
  const folder = dirname(path);
  const cannot = (why: string): CliError => new CliError(`cannot write ${flagName} ${path}: ${why}`);
  let real: string;
  try {
    real = await realpath(folder);
    if (!(await stat(real)).isDirectory()) throw cannot(`${folder} is not a folder`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw cannot(
      code === 'ENOENT'
        ? `folder ${folder} does not exist`
        : `folder ${folder}: ${REASONS[code ?? ''] ?? oneLine(error)}`,
    );
  }
  const kernel = await kernelFileSystem(real);
  if (kernel !== null)
    throw cannot(`it is ${kernel}, a kernel file system whose files cannot be replaced by a new file`);
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw cannot(`folder ${folder}: ${REASONS[code ?? ''] ?? oneLine(error)}`);
  }
  await checkTarget(path, `${flagName} ${path}`);
}

const writeP = promisify(write);
const fsyncP = promisify(fsync);
const closeP = promisify(close);

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same folder, then renamed
 * over the target, so a failed or interrupted write leaves any old file as it was. The target
 * is checked again just before the rename: it may have become a link or a device since
 * checkWritable. Temporary files are named `.<name>.<pid>.<8 hex digits>.tmp`, so that the next
 * write to the same target can remove those of writers that were killed.
 */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const folder = dirname(path);
  const tmp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    // Created at once (O_EXCL: never through a link), so a signal from here on finds it to remove.
    fd = openSync(tmp, 'wx', 0o666);
  } catch (error) {
    throw fsError('write', path, error);
  }
  addPending(tmp);
  try {
    await removeStaleTemporaries(path);
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    for (let done = 0; done < data.length; ) done += (await writeP(fd, data, done, data.length - done)).bytesWritten;
    await fsyncP(fd); // the data on disk before the name points to it
    const closing = fd;
    fd = undefined;
    await closeP(closing);
    await checkTarget(path, path);
    await rename(tmp, path);
  } catch (error) {
    if (fd !== undefined) await closeP(fd).catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (error instanceof CliError) throw error;
    throw fsError('write', path, error);
  } finally {
    deletePending(tmp);
  }
}

/** A temporary file older than this whose pid is not running is a dead write's. */
const STALE_AFTER_MS = 60_000;

/**
 * Removes the temporary files that killed writes to `path` left: those whose pid is not a
 * running process (ESRCH). A pid that runs (or that we may not signal, EPERM) keeps its file.
 * The age is checked too: a writer in another pid namespace (a container sharing the folder)
 * has a pid that means nothing here, but its temporary file is fresh while it writes.
 */
async function removeStaleTemporaries(path: string): Promise<void> {
  const folder = dirname(path),
    prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^([1-9]\d{0,9})\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || isRunning(Number(m[1]))) continue;
    const file = join(folder, name);
    try {
      const s = await lstat(file);
      if (s.isFile() && Date.now() - s.mtimeMs > STALE_AFTER_MS) await unlink(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const pending = new Set<string>();

// While temporary files exist, a signal that would end the process removes them first, then
// ends it as the signal would have. SIGINT only where nothing else listens: train handles its
// own Ctrl-C (stop, then save) and removes them when it quits at once.
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const listening: NodeJS.Signals[] = [];

function onSignal(signal: NodeJS.Signals): void {
  removePendingTemporaries();
  process.kill(process.pid, signal); // no listener left: the default action, death by the signal
  process.exit(128 + (osConstants.signals as Partial<Record<NodeJS.Signals, number>>)[signal]!); // where it was not (Windows)
}

function addPending(tmp: string): void {
  pending.add(tmp);
  if (pending.size !== 1 || listening.length > 0) return;
  for (const signal of SIGNALS) {
    if (signal === 'SIGINT' && process.listenerCount('SIGINT') > 0) continue;
    process.on(signal, onSignal);
    listening.push(signal);
  }
}

function deletePending(tmp: string): void {
  pending.delete(tmp);
  if (pending.size === 0) stopListening();
}

function stopListening(): void {
  for (const signal of listening.splice(0)) process.off(signal, onSignal);
}

/** Removes the temporary files of writes in progress: for a process that exits at once. */
export function removePendingTemporaries(): void {
  stopListening();
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed
    }
  }
  pending.clear();
}
