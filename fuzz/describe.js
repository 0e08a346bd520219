// What an input claims to be, from its first bytes: names a hang's class (a killed call leaves no
// message) by the size its headers claim, which is what makes such calls slow.

/** "≥ 2^k" for the power of two at or below n, in steps of 8 (classes stay few), exact below 256. */
function magnitude(n) {
  if (!Number.isFinite(n)) return String(n);
  if (n < 256) return String(n);
  return `≥ 2^${8 * Math.floor(Math.log2(n) / 8)}`;
}

const u32be = (b, at) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u32le = (b, at) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

export function describeInput(b) {
  if (!b || b.length < 4) return undefined;
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b.length >= 24) {
    return `PNG whose IHDR claims a width or height ${magnitude(Math.max(u32be(b, 16), u32be(b, 20)))}`;
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let at = 2; at + 9 < b.length && b[at] === 0xff; ) {
      const marker = b[at + 1];
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return `JPEG whose SOF claims ${magnitude(((b[at + 5] << 8) | b[at + 6]) * ((b[at + 7] << 8) | b[at + 8]))} pixels`;
      }
      at += 2 + ((b[at + 2] << 8) | b[at + 3]);
    }
    return 'JPEG without a frame header';
  }
  if (String.fromCharCode(b[0], b[1], b[2], b[3]) === 'WAEZ' && b.length >= 12)
    return `compressed stream whose header claims ${magnitude(u32le(b, 8))} images`;
  if (b[0] === 0x1f && b[1] === 0x8b && b.length >= 8)
    return `gzip whose trailer claims ${magnitude(u32le(b, b.length - 4))} bytes`;
  if (b[0] === 0 && b[1] === 0 && b.length >= 8) {
    let count = 1;
    for (let d = 0; d < b[3] && 8 + 4 * d <= b.length; d++) count *= u32be(b, 4 + 4 * d);
    return `IDX whose dims claim ${magnitude(count)} values`;
  }
  return undefined;
}
