// Argument parsing: node:util parseArgs (strict) over per-command option tables, which also
// write the --help text, and value parsers whose errors name the flag.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export const PROGRAM = 'wasm-autoencoder';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in --help, e.g. 'N'. */
  value?: string;
  help: string;
  /** The default, as --help shows it. */
  default?: string;
  /** Whether '' is a value (an empty list); for other options it is a usage error. */
  allowEmpty?: boolean;
}

/** Every command's --out FILE (-o): what it writes, and the file it writes by default. */
export function outOption(help: string, defaultOut: string): OptionSpec {
  return { type: 'string', short: 'o', value: 'FILE', help, default: defaultOut };
}

export interface OptionGroup {
  title: string;
  options: Record<string, OptionSpec>;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

export const HELP_OPTION: OptionGroup = {
  title: 'Other',
  options: { help: { type: 'boolean', short: 'h', help: 'this help' } },
};

/** Parses `args` against the groups' options; any problem is a UsageError naming the flag. */
export function parseOptions(command: string, args: string[], groups: OptionGroup[]): ParsedOptions {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const group of groups) {
    for (const [name, spec] of Object.entries(group.options)) {
      options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
    }
  }
  let values: ParsedOptions;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as ParsedOptions;
  } catch (error) {
    throw new UsageError(describeParseError(command, error));
  }
  for (const group of groups) {
    for (const [name, spec] of Object.entries(group.options)) {
      if (values[name] === '' && !spec.allowEmpty)
        throw new UsageError(`option --${name} needs a value, got an empty string`);
    }
  }
  return values;
}

function describeParseError(command: string, error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = String(e?.message ?? error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = quoted.replace(/ <value>$/, '');
  const seeHelp = `see ${PROGRAM} ${command} --help`;
  switch (e?.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag} for ${command} (${seeHelp})`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${flag}': ${command} takes options only (${seeHelp})`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(message)) return `option ${flag} needs a value (${seeHelp})`;
      if (/does not take an argument/.test(message)) return `option ${flag} takes no value (${seeHelp})`;
      if (/ambiguous/.test(message))
        return `option ${flag} needs a value; for a value that starts with '-', write ${flag}=VALUE`;
  }
  return `${message.split(/\.\s/)[0]} (${seeHelp})`;
}

function shown(raw: string): string {
  return `'${raw.length > 40 ? `${raw.slice(0, 40)}...` : raw}'`;
}

/** A number in the usual notations (no empty string, no trailing garbage). */
function toNumber(raw: string): number {
  return raw.trim() === '' ? NaN : Number(raw);
}

export function intOption(flag: string, raw: string, min: number, max: number): number {
  const v = toNumber(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    const expected =
      min === 1 && max >= Number.MAX_SAFE_INTEGER
        ? 'a positive integer'
        : min === 1
          ? `a positive integer ≤ ${max}`
          : `an integer in [${min}, ${max}]`;
    throw new UsageError(`${flag} must be ${expected}, got ${shown(raw)}`);
  }
  return v;
}

export function numberOption(
  flag: string,
  raw: string,
  lo: number,
  hi: number,
  loOpen = false,
  hiOpen = false,
): number {
  const v = toNumber(raw);
  const ok = Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${hiOpen || hi === Infinity ? ')' : ']'}`;
    throw new UsageError(`${flag} must be a number in ${range}, got ${shown(raw)}`);
  }
  return v;
}

/** A comma-separated list of positive integers; '' is the empty list. */
export function intListOption(flag: string, raw: string, max: number): number[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const v = toNumber(part);
    if (!Number.isInteger(v) || v < 1 || v > max) {
      throw new UsageError(
        `${flag} must be a comma-separated list of positive integers (like 64,32), got ${shown(raw)}`,
      );
    }
    return v;
  });
}

export function choiceOption<T extends string>(
  flag: string,
  raw: string,
  choices: readonly T[],
  aliases: Record<string, T> = {},
): T {
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  if (Object.hasOwn(aliases, raw)) return aliases[raw];
  throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got ${shown(raw)}`);
}

/** 'auto' or a thread count. */
export function threadsOption(flag: string, raw: string): 'auto' | number {
  if (raw === 'auto') return 'auto';
  const v = toNumber(raw);
  if (!Number.isInteger(v) || v < 1 || v > 64)
    throw new UsageError(`${flag} must be 'auto' or an integer in [1, 64], got ${shown(raw)}`);
  return v;
}

export function str(values: ParsedOptions, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A command's options, or null once `--help` has printed `help` (the command then returns 0). */
export function optionsOrHelp(
  command: string,
  args: string[],
  groups: OptionGroup[],
  help: string,
): ParsedOptions | null {
  const values = parseOptions(command, args, groups);
  if (!flag(values, 'help')) return values;
  process.stdout.write(help);
  return null;
}

export function flag(values: ParsedOptions, name: string): boolean {
  return values[name] === true;
}

/** The --help text of a command, from its option groups. */
export function formatHelp(usage: string, description: string, groups: OptionGroup[], footer = ''): string {
  const lines: string[] = [`Usage: ${usage}`, '', description, ''];
  const rows: { left: string; right: string; group?: string }[] = [];
  for (const group of groups) {
    rows.push({ left: '', right: '', group: group.title });
    for (const [name, spec] of Object.entries(group.options)) {
      const left = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
      rows.push({ left, right: spec.help + (spec.default !== undefined ? ` (default: ${spec.default})` : '') });
    }
  }
  const width = Math.min(34, Math.max(...rows.map((r) => r.left.length)) + 2);
  for (const row of rows) {
    if (row.group !== undefined) {
      if (lines[lines.length - 1] !== '') lines.push('');
      lines.push(`${row.group}:`);
      continue;
    }
    const pad = row.left.length + 2 > width ? `\n  ${' '.repeat(width)}` : ' '.repeat(width - row.left.length);
    lines.push(`  ${row.left}${pad}${row.right}`);
  }
  if (footer) lines.push('', footer.trimEnd());
  return `${lines.join('\n')}\n`;
}
