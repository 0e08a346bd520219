// What every target's oracle shares: how a thrown thing is judged, how failures are grouped into
// classes, and the comparisons the result checks use.

/** Verdicts. `accepted` and `rejected` pass; the others fail the run. */
export const accepted = (note) => ({ verdict: 'accepted', note });
export const rejected = () => ({ verdict: 'rejected' });
export const crash = (klass, detail) => ({ verdict: 'crash', klass, detail });
export const wrong = (klass, detail) => ({ verdict: 'wrong', klass, detail });

/** A message with its numbers, hex digits and quoted parts blanked, so that one bug is one class. */
export function messageShape(message) {
  return String(message)
    .replace(/'[^']*'/g, "'…'")
    .replace(/0x[0-9a-f]+/gi, 'H')
    .replace(/\b[0-9a-f]{8,}\b/gi, 'H')
    .replace(/-?(\d+(\.\d+)?(e[+-]?\d+)?|Infinity|NaN)/gi, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 140);
}

/** The first stack frame in this package's dist/ (or in a dependency), to tell crash sites apart. */
export function crashSite(error) {
  const stack = typeof error?.stack === 'string' ? error.stack.split('\n').slice(1) : [];
  const frame = stack.find((l) => /\/dist\//.test(l)) ?? stack.find((l) => /node_modules/.test(l)) ?? stack[0] ?? '';
  const m = /((?:dist|node_modules)\/[^\s:)]+):(\d+)/.exec(frame);
  return m ? `${m[1]}:${m[2]}` : frame.trim().slice(0, 80);
}

/**
 * Judges a thrown value: an `Error` (exactly, or one of `errorNames`) whose message starts with
 * `prefix` is a rejection; anything else (RangeError, TypeError, WebAssembly.RuntimeError, a
 * non-Error, another function's message) is a crash.
 */
export function judgeThrown(thrown, prefix, errorNames = ['Error']) {
  if (!(thrown instanceof Error)) return crash(`threw a non-Error: ${typeof thrown}`, String(thrown));
  const name = thrown.constructor?.name ?? thrown.name;
  if (!errorNames.includes(name)) {
    return crash(`${name}: ${messageShape(thrown.message)} (at ${crashSite(thrown)})`, thrown.stack ?? thrown.message);
  }
  if (!thrown.message.startsWith(prefix)) {
    const said = thrown.message.split(':')[0];
    return crash(
      `Error not from ${prefix} (message starts '${said.slice(0, 60)}'): ${messageShape(thrown.message)}`,
      thrown.stack ?? thrown.message,
    );
  }
  return rejected();
}

export function allFinite(values) {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** The same bits, value for value (NaN payloads and -0 included). */
export function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return sameBytes(x, y);
}

export function sameBytes(x, y) {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Structural equality of JSON values, key order ignored. */
export function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a),
    kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/**
 * The first difference between a stored JSON value and what was made of it: { kind, path } with
 * kind 'missing' (a key the file lacks was defaulted), 'unknown' (a key of the file was ignored)
 * or 'changed' (a value was read as another); undefined when they are equal.
 */
export function firstDifference(stored, loaded, path = '') {
  if (Object.is(stored, loaded)) return undefined;
  const isObj = (v) => typeof v === 'object' && v !== null;
  if (!isObj(stored) || !isObj(loaded) || Array.isArray(stored) !== Array.isArray(loaded)) {
    return { kind: 'changed', path: path || '(root)', stored, loaded };
  }
  if (Array.isArray(stored) && stored.length !== loaded.length) return { kind: 'changed', path, stored, loaded };
  for (const k of Object.keys(loaded)) {
    if (!Object.hasOwn(stored, k)) return { kind: 'missing', path: `${path}.${k}`, loaded: loaded[k] };
  }
  for (const k of Object.keys(stored)) {
    if (!Object.hasOwn(loaded, k)) return { kind: 'unknown', path: `${path}.${k}`, stored: stored[k] };
    const d = firstDifference(stored[k], loaded[k], Array.isArray(loaded) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** A fixed probe batch: `rows` images of `size` values in [0, 1], the same for every caller. */
export function probeImages(size, rows = 2) {
  const out = new Float32Array(size * rows);
  for (let i = 0; i < out.length; i++) out[i] = ((i * 37 + 11) % 101) / 100;
  return out;
}
