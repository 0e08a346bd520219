// Small helpers the benchmark scripts share: a median and a number format for tables.

export const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** A figure with `digits` decimals and thousands separators; '—' for a missing or non-finite one. */
export const fmt = (x, digits = 0) =>
  x == null || !Number.isFinite(x)
    ? '—'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
