// Kernels for the uses built on the autoencoder: corrupting inputs (denoising), one-hot labels
// (conditional models), strided row copies, and the variational bottleneck.
//
// Randomness comes from a counter-based generator: a 32-bit integer hash of (seed, row, column).
// Each value depends only on where it is used, never on which thread computed it or in which
// order, so training stays bit-identical for any thread count.

// @ts-ignore: decorator
@inline function hash32(x: u32): u32 {
  // "lowbias32" (Chris Wellons): full avalanche, two multiplies.
  x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
  return x;
}

// @ts-ignore: decorator
@inline function key(seed: u32, row: u32, col: u32): u32 {
  return hash32(seed ^ hash32(row * 0x9e3779b9 + col));
}

// Two uniforms in [0, 1) from one hash: its high and low 16 bits.
// @ts-ignore: decorator
@inline function hiUniform(h: u32): f32 { return <f32>(h >> 16) * (<f32>1 / 65536); }
// @ts-ignore: decorator
@inline function loUniform(h: u32): f32 { return <f32>(h & 0xffff) * (<f32>1 / 65536); }

// Approximately standard normal: the sum of four uniforms (Irwin–Hall), centred and scaled to
// unit variance. Its tails stop at ±2√3 ≈ 3.46: plenty for noise and for the reparameterization,
// and four times cheaper than Box–Muller here.
// @ts-ignore: decorator
@inline function normal(seed: u32, row: u32, col: u32): f32 {
  const a = key(seed, row, col * 2), b = key(seed, row, col * 2 + 1);
  const s = hiUniform(a) + loUniform(a) + hiUniform(b) + loUniform(b);
  return (s - 2) * <f32>1.7320508075688772;
}

export const CORRUPT_NONE: i32 = 0;
export const CORRUPT_GAUSSIAN: i32 = 1;
export const CORRUPT_MASKING: i32 = 2;
export const CORRUPT_SALT_PEPPER: i32 = 3;

// out[r][c] = corrupt(clean[r][c]) for rows of `cols` values; out rows are `outStride` floats
// apart (room for a label after the image). Kinds: 0 copy; 1 gaussian, x + level·n (additive,
// not clipped: the network takes any real input); 2 masking, each value zeroed with probability level; 3 salt and pepper, each value set
// to 0 or 1 (even odds) with probability level. Row r draws its noise from (seed, firstRow + r).
export function corruptRows(out: usize, clean: usize, rows: i32, cols: i32, outStride: i32,
                            kind: i32, level: f32, seed: u32, firstRow: u32): void {
  for (let r = 0; r < rows; r++) {
    const src = clean + ((<usize>r * <usize>cols) << 2);
    const dst = out + ((<usize>r * <usize>outStride) << 2);
    const row = firstRow + <u32>r;
    for (let c = 0; c < cols; c++) {
      const x = load<f32>(src + (<usize>c << 2));
      let y = x;
      if (kind == CORRUPT_GAUSSIAN) {
        y = x + level * normal(seed, row, <u32>c);
      } else if (kind == CORRUPT_MASKING) {
        if (hiUniform(key(seed, row, <u32>c)) < level) y = 0;
      } else if (kind == CORRUPT_SALT_PEPPER) {
        const h = key(seed, row, <u32>c);
        if (hiUniform(h) < level) y = loUniform(h) < 0.5 ? <f32>0 : <f32>1;
      }
      store<f32>(dst + (<usize>c << 2), y);
    }
  }
}

// out[r][0..classes) = one-hot of labels[indices[r]] (u8 labels, u32 indices; indices 0 means
// labels[r]), rows `outStride` floats apart. A label ≥ classes gives a row of zeros (the caller
// validates labels).
export function oneHotRows(out: usize, outStride: i32, labels: usize, indices: usize, rows: i32, classes: i32): void {
  for (let r = 0; r < rows; r++) {
    const dst = out + ((<usize>r * <usize>outStride) << 2);
    memory.fill(dst, 0, <usize>classes << 2);
    const at = indices ? <usize>load<u32>(indices + (<usize>r << 2)) : <usize>r;
    const label = <i32>load<u8>(labels + at);
    if (label < classes) store<f32>(dst + (<usize>label << 2), 1);
  }
}

// out[r][0..cols) = inp[r][0..cols), with each side's own row stride.
export function copyRows(out: usize, outStride: i32, inp: usize, inStride: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(out + ((<usize>r * <usize>outStride) << 2), inp + ((<usize>r * <usize>inStride) << 2), <usize>cols << 2);
  }
}

// The variational bottleneck. codes[r] holds [mu (latent), log-variance (latent)].
// z[r][j] = mu + exp(logvar/2)·eps with eps ~ N(0, 1) drawn from (seed, firstRow + r, j) and kept
// in `eps` for the backward pass; z rows are `zStride` floats apart. Returns the KL divergence
// to N(0, I) summed over rows and dimensions: ½·Σ (mu² + e^logvar - 1 - logvar).
export function vaeSample(z: usize, zStride: i32, eps: usize, codes: usize, rows: i32, latent: i32,
                          seed: u32, firstRow: u32): f64 {
  let kl: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const c = codes + ((<usize>r * <usize>(2 * latent)) << 2);
    const zr = z + ((<usize>r * <usize>zStride) << 2);
    const er = eps + ((<usize>r * <usize>latent) << 2);
    for (let j = 0; j < latent; j++) {
      const mu = load<f32>(c + (<usize>j << 2));
      const lv = load<f32>(c + (<usize>(j + latent) << 2));
      const e = normal(seed, firstRow + <u32>r, <u32>j);
      const sd = Mathf.exp(0.5 * lv);
      store<f32>(er + (<usize>j << 2), e);
      store<f32>(zr + (<usize>j << 2), mu + sd * e);
      kl += 0.5 * <f64>(mu * mu + sd * sd - 1 - lv);
    }
  }
  return kl;
}

// Gradient through the bottleneck: from dz (rows `dzStride` apart) and the KL term weighted by
// klScale, into dcodes = [dmu, dlogvar] per row.
//   dmu = dz + klScale·mu;   dlogvar = dz·eps·½e^(logvar/2) + klScale·½(e^logvar - 1)
export function vaeBackward(dcodes: usize, dz: usize, dzStride: i32, eps: usize, codes: usize, rows: i32,
                            latent: i32, klScale: f32): void {
  for (let r = 0; r < rows; r++) {
    const c = codes + ((<usize>r * <usize>(2 * latent)) << 2);
    const dc = dcodes + ((<usize>r * <usize>(2 * latent)) << 2);
    const dzr = dz + ((<usize>r * <usize>dzStride) << 2);
    const er = eps + ((<usize>r * <usize>latent) << 2);
    for (let j = 0; j < latent; j++) {
      const mu = load<f32>(c + (<usize>j << 2));
      const lv = load<f32>(c + (<usize>(j + latent) << 2));
      const g = load<f32>(dzr + (<usize>j << 2));
      const sd = Mathf.exp(0.5 * lv);
      store<f32>(dc + (<usize>j << 2), g + klScale * mu);
      store<f32>(dc + (<usize>(j + latent) << 2), g * load<f32>(er + (<usize>j << 2)) * 0.5 * sd + klScale * 0.5 * (sd * sd - 1));
    }
  }
}

// Standard normals for sampling from the prior: out[r][j] from (seed, r, j).
export function normalRows(out: usize, rows: i32, cols: i32, seed: u32): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      store<f32>(out + ((<usize>(r * cols + j)) << 2), normal(seed, <u32>r, <u32>j));
    }
  }
}
