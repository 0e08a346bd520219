// All of a model's weights as one vector (each layer's kernel, then its bias), for bit-for-bit
// comparisons of whole models.
import type { LayerWeights } from '../../src/entries/index.js';

export function flatWeights(layers: readonly LayerWeights[]): Float32Array {
  const out = new Float32Array(layers.reduce((n, L) => n + L.kernel.length + L.bias.length, 0));
  let at = 0;
  for (const L of layers) {
    out.set(L.kernel, at);
    at += L.kernel.length;
    out.set(L.bias, at);
    at += L.bias.length;
  }
  return out;
}
