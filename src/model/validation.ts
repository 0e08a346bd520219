// fit's validation loss: the loss the model trains on, computed on validation images from their
// reconstructions (and a variational model's code distribution). Plain loops in f64: this runs
// once per epoch, and it must not share a kernel with the training loss it is compared against.
import type { Images } from './inputs.js';
import type { ModelConfig } from './options.js';

/** Smallest probability BCE takes a logarithm of, as Keras's epsilon clips it. */
const BCE_EPSILON = 1e-7;

/**
 * Mean loss per pixel over `count` images: `mse` (already measured) or binary cross-entropy of the
 * reconstructions, plus for a variational model β·KL(q(z|x) ‖ N(0, I)) per pixel, as training
 * adds it. `codes` holds each image's [mean | log-variance] (variational models only). The
 * reconstruction is the decoder's output at the code's mean, so the figure is deterministic.
 */
export function validationLoss(
  config: ModelConfig,
  images: Images,
  count: number,
  size: number,
  outputs: Float32Array | undefined,
  codes: Float32Array | undefined,
  mse: number,
): number {
  let loss = mse;
  if (config.loss === 'bce' && outputs) {
    const scale = images instanceof Uint8Array ? 1 / 255 : 1;
    let sum = 0;
    for (let i = 0; i < outputs.length; i++) {
      const x = images[i] * scale,
        p = Math.min(Math.max(outputs[i], BCE_EPSILON), 1 - BCE_EPSILON);
      sum -= x * Math.log(p) + (1 - x) * Math.log(1 - p);
    }
    loss = sum / outputs.length;
  }
  if (config.variational && codes) {
    const L = config.latent;
    let kl = 0;
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < L; j++) {
        const mu = codes[r * 2 * L + j],
          lv = codes[r * 2 * L + L + j];
        kl += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
      }
    }
    loss += (config.beta * kl) / (count * size);
  }
  return loss;
}
