import { argError } from '../util/errors.js';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Blank columns between glyphs, in font pixels. */
const GLYPH_SPACING = 1;

// One entry per glyph: the character, then 7 rows as 2 hex digits each;
// bit 4 of a row is the leftmost pixel.
const GLYPH_SOURCE = [
  'A0E11111F111111',
  'B1E11111E11111E',
  'C0E11101010110E',
  'D1C12111111121C',
  'E1F10101E10101F',
  'F1F10101E101010',
  'G0E11101711110F',
  'H1111111F111111',
  'I0E04040404040E',
  'J0702020202120C',
  'K11121418141211',
  'L1010101010101F',
  'M111B1515111111',
  'N11111915131111',
  'O0E11111111110E',
  'P1E11111E101010',
  'Q0E11111115120D',
  'R1E11111E141211',
  'S0F10100E01011E',
  'T1F040404040404',
  'U1111111111110E',
  'V11111111110A04',
  'W1111111515150A',
  'X11110A040A1111',
  'Y1111110A040404',
  'Z1F01020408101F',
  '00E11131519110E',
  '1040C040404040E',
  '20E11010204081F',
  '31F02040201110E',
  '402060A121F0202',
  '51F101E0101110E',
  '60608101E11110E',
  '71F010204080808',
  '80E11110E11110E',
  '90E11110F01020C',
  ' 00000000000000',
  '.00000000000C0C',
  ',000000000C0408',
  ':000C0C000C0C00',
  '-0000001F000000',
  '=00001F001F0000',
  '/00010204081000',
  '(02040808080402',
  ')08040202020408',
  '%18190204081303',
  '?0E110102040004',
  '+0004041F040400',
];

const GLYPH_BYTES = GLYPH_HEIGHT;
const glyphRows = new Uint8Array(GLYPH_SOURCE.length * GLYPH_BYTES);
const glyphIndex = new Map<string, number>();
for (let g = 0; g < GLYPH_SOURCE.length; g++) {
  const entry = GLYPH_SOURCE[g];
  glyphIndex.set(entry[0], g);
  for (let r = 0; r < GLYPH_HEIGHT; r++) {
    glyphRows[g * GLYPH_BYTES + r] = parseInt(entry.slice(1 + 2 * r, 3 + 2 * r), 16);
  }
}
const FALLBACK_GLYPH = glyphIndex.get('?')!;

/** Glyph number for a character; lowercase is drawn as uppercase, unknown characters as '?'. */
function glyphFor(ch: string): number {
  return glyphIndex.get(ch) ?? glyphIndex.get(ch.toUpperCase()) ?? FALLBACK_GLYPH;
}

function checkScale(fn: string, scale: unknown): void {
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 1) {
    throw argError(fn, 'scale', 'a positive integer', scale);
  }
}

/** Width in pixels of `text` drawn at `scale` (no trailing spacing). */
export function textWidth(text: string, scale = 1): number {
  if (typeof text !== 'string') throw argError('textWidth', 'text', 'a string', text);
  checkScale('textWidth', scale);
  const chars = Array.from(text).length;
  if (chars === 0) return 0;
  return (chars * (GLYPH_WIDTH + GLYPH_SPACING) - GLYPH_SPACING) * scale;
}

/** Height in pixels of a line of text drawn at `scale`. */
export function textHeight(scale = 1): number {
  checkScale('textHeight', scale);
  return GLYPH_HEIGHT * scale;
}

/**
 * Draw `text` into a grey 8-bit image with its top-left corner at (x, y).
 * Supports A–Z (lowercase drawn as uppercase), 0–9, space and `.,:-=/()%?+`;
 * other characters are drawn as '?'. Pixels outside the image are clipped.
 */
export function drawText(
  target: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  text: string,
  value = 255,
  scale = 1,
): void {
  if (!Number.isInteger(width) || width < 1) throw argError('drawText', 'width', 'a positive integer', width);
  if (!Number.isInteger(height) || height < 1) throw argError('drawText', 'height', 'a positive integer', height);
  if (!(target instanceof Uint8Array) || target.length !== width * height) {
    throw argError('drawText', 'target', `a Uint8Array of width × height = ${width * height} pixels`, target);
  }
  if (!Number.isInteger(x)) throw argError('drawText', 'x', 'an integer', x);
  if (!Number.isInteger(y)) throw argError('drawText', 'y', 'an integer', y);
  if (typeof text !== 'string') throw argError('drawText', 'text', 'a string', text);
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw argError('drawText', 'value', 'an integer in 0..255', value);
  }
  checkScale('drawText', scale);

  let penX = x;
  for (const ch of text) {
    const base = glyphFor(ch) * GLYPH_BYTES;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = glyphRows[base + row];
      if (bits === 0) continue;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - col))) === 0) continue;
        fillClipped(target, width, height, penX + col * scale, y + row * scale, scale, value);
      }
    }
    penX += (GLYPH_WIDTH + GLYPH_SPACING) * scale;
  }
}

function fillClipped(
  target: Uint8Array,
  width: number,
  height: number,
  left: number,
  top: number,
  size: number,
  value: number,
): void {
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(width, left + size);
  const y1 = Math.min(height, top + size);
  for (let py = y0; py < y1; py++) {
    target.fill(value, py * width + x0, py * width + x1);
  }
}
