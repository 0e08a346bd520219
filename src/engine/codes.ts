// The codes the kernels take for an activation or a kind of input noise. The kernels define them
// (assembly/simd.ts ACTIVATION_*, assembly/noise.ts NOISE_*, exported by the module as globals);
// test/kernels/codes.test.ts checks these tables against the built module's globals.
import type { Activation } from './network.js';

export const ACTIVATION_CODES: Readonly<Record<Activation, number>> = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  sigmoid: 3,
  tanh: 4,
};

/** Noise kinds of a denoising fit, named as `FitOptions.noise.type` names them. */
export const NOISE_CODES: Readonly<Record<'none' | 'gaussian' | 'masking' | 'saltAndPepper', number>> = {
  none: 0,
  gaussian: 1,
  masking: 2,
  saltAndPepper: 3,
};
