// The format of each output, from its file name's extension, or a refusal that names the formats
// the command can write (never PNG bytes in a .jpg file).
import { UsageError } from './errors.js';

export type OutputFormat = 'png' | 'idx' | 'json' | 'csv' | 'text' | 'codes';

/** Name endings of each format, as --help and refusals show them. */
const ENDINGS: Record<OutputFormat, { pattern: RegExp; shown: string; what: string }> = {
  png: { pattern: /\.png$/i, shown: '.png', what: 'PNG' },
  idx: { pattern: /(\.idx|-ubyte)(\.gz)?$/i, shown: '.idx, .idx.gz, -ubyte, -ubyte.gz', what: 'IDX' },
  json: { pattern: /\.json$/i, shown: '.json', what: 'JSON' },
  csv: { pattern: /\.csv$/i, shown: '.csv', what: 'CSV' },
  text: { pattern: /\.txt$/i, shown: '.txt', what: 'text' },
  codes: { pattern: /\.(waez|bin)$/i, shown: '.waez, .bin', what: 'a code stream' },
};

/** "PNG (.png) or IDX (.idx, .idx.gz, -ubyte, -ubyte.gz)". */
function describeFormats(formats: readonly OutputFormat[]): string {
  const parts = formats.map((f) => `${ENDINGS[f].what} (${ENDINGS[f].shown})`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** The extension of `path` as a refusal shows it: '.jpg', or 'no extension'. */
function extensionOf(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  const m = /(\.[^.]+(\.gz)?)$/i.exec(name.replace(/^\.+/, ''));
  return m ? `'${m[1]}'` : 'no extension';
}

/**
 * The format `path` asks for among those `command` writes with `flag`; a UsageError naming them
 * when its name ends otherwise.
 */
export function outputFormat<F extends OutputFormat>(
  command: string,
  flag: string,
  path: string,
  formats: readonly F[],
): F {
  for (const f of formats) if (ENDINGS[f].pattern.test(path)) return f;
  throw new UsageError(
    `${flag} ${path}: ${command} writes ${describeFormats(formats)}, chosen by the name's ending; ` +
      `${extensionOf(path)} is none of them`,
  );
}

/** Names of formats no command writes, refused where a command writes a file of its own kind. */
const OTHER_IMAGE = /\.(jpe?g|gif|bmp|webp|tiff?)$/i;

/**
 * For outputs of one kind whose name is free (model files): refuses a name that asks for another
 * format (m.png, m.json), so that the bytes never contradict the name.
 */
export function refuseOtherFormat(command: string, flag: string, path: string, what: string): void {
  const claimed = (Object.keys(ENDINGS) as OutputFormat[]).find((f) => ENDINGS[f].pattern.test(path));
  if (claimed !== undefined || OTHER_IMAGE.test(path)) {
    throw new UsageError(
      `${flag} ${path}: ${command} writes ${what}, and ${extensionOf(path)} names ` +
        `${claimed !== undefined ? ENDINGS[claimed].what : 'an image format'}; give another name (like model.wae)`,
    );
  }
}
