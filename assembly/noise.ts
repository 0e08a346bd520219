// Input corruption for denoising autoencoders, drawn from random.ts's counter-based hash.
import { hiUniform, key, loUniform, normal } from './random';

// Noise codes. Exported by the module as globals; test/kernels/codes.test.ts pins
// src/engine/codes.ts (the TypeScript side's table) to them.
export const NOISE_NONE: i32 = 0;
export const NOISE_GAUSSIAN: i32 = 1;
export const NOISE_MASKING: i32 = 2;
export const NOISE_SALT_AND_PEPPER: i32 = 3;

// out[r][c] = corrupt(clean[r][c]) for rows of `cols` values; out rows are `outStride` floats
// apart (room for a label after the image). Kinds: none, a copy; gaussian, x + level·n (additive,
// not clipped: the network takes any real input); masking, each value zeroed with probability
// level; salt and pepper, each value set to 0 or 1 (even odds) with probability level. Row r
// draws its noise from (seed, firstRow + r).
export function corruptRows(out: usize, outStride: i32, clean: usize, rows: i32, cols: i32,
                            kind: i32, level: f32, seed: u32, firstRow: u32): void {
  for (let r = 0; r < rows; r++) {
    const src = clean + ((<usize>r * <usize>cols) << 2);
    const dst = out + ((<usize>r * <usize>outStride) << 2);
    const row = firstRow + <u32>r;
    for (let c = 0; c < cols; c++) {
      const x = load<f32>(src + (<usize>c << 2));
      let y = x;
      if (kind == NOISE_GAUSSIAN) {
        y = x + level * normal(seed, row, <u32>c);
      } else if (kind == NOISE_MASKING) {
        if (hiUniform(key(seed, row, <u32>c)) < level) y = 0;
      } else if (kind == NOISE_SALT_AND_PEPPER) {
        const h = key(seed, row, <u32>c);
        if (hiUniform(h) < level) y = loUniform(h) < 0.5 ? <f32>0 : <f32>1;
      }
      store<f32>(dst + (<usize>c << 2), y);
    }
  }
}
