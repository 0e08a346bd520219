const MAX_STRING_SHOWN = 40;

/** Short, human-readable description of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'number':
      // Object.is keeps -0 distinguishable; String() would print "0".
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'string': {
      const shown = v.length > MAX_STRING_SHOWN ? `${v.slice(0, MAX_STRING_SHOWN)}...` : v;
      return `'${shown}'`;
    }
    case 'symbol':
      return v.toString();
    case 'function':
      return `function ${v.name || '(anonymous)'}`;
  }
  if (ArrayBuffer.isView(v)) {
    const length = 'length' in v ? (v as unknown as { length: number }).length : v.byteLength;
    return `${v.constructor.name}(${length})`;
  }
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  const ctor = (v as object).constructor;
  return ctor && ctor !== Object ? `${ctor.name} object` : 'object';
}

/** Error for a bad argument: "fn: arg must be expected, got <description>". */
export function argError(fn: string, arg: string, expected: string, got: unknown): Error {
  return new Error(`${fn}: ${arg} must be ${expected}, got ${describeValue(got)}`);
}

/**
 * Refuses keys of an options object that `fn` does not know ("fn: unknown option prefix.key; known
 * options are …"): an option that does nothing is a silent wrong answer. `prefix` names a nested
 * object ('optimizer.'). A non-object is refused as `arg`.
 */
export function rejectUnknownOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
  prefix = '',
  arg = 'options',
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw argError(fn, arg, 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      throw new Error(`${fn}: unknown option ${prefix}${key.slice(0, 40)}; known options are ${known.join(', ')}`);
  }
}
