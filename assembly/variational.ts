// The variational bottleneck: the reparameterized draw with its KL term, and its gradient.
import { normal } from './random';

// codes[r] holds [mu (latent), log-variance (latent)].
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
