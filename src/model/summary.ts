// A Keras-style table of a model's layers: name (kind), output shape, parameters.
import type { LayerSpec, NetworkSpec } from '../engine/network.js';

const KIND_NAMES = { dense: 'Dense', conv2d: 'Conv2D', conv2dTranspose: 'Conv2DTranspose' } as const;

/** Parameters of one layer: weights and biases, without the vector's padding. */
export function layerParamCount(L: LayerSpec): number {
  return L.weightRows * L.weightCols + L.outShape[2];
}

/** Layer names as summary() prints them, and as getWeights/setWeights name them. */
export function layerNames(spec: NetworkSpec): string[] {
  const counts: Record<string, number> = {};
  return spec.layers.map((L, l) => {
    const base = l === spec.codeLayer ? 'code' : L.kind;
    counts[base] = (counts[base] ?? 0) + 1;
    const part = l <= spec.codeLayer ? 'encoder' : 'decoder';
    return base === 'code' ? 'code' : `${part}/${base}_${counts[base]}`;
  });
}

export function summaryTable(spec: NetworkSpec, inputShape: readonly number[]): string {
  const rows: [string, string, string][] = [['input (InputLayer)', shapeText(inputShape), '0']];
  const names = layerNames(spec);
  let total = 0;
  spec.layers.forEach((L, l) => {
    const prev = l > 0 ? spec.layers[l - 1] : undefined;
    // Flatten and reshape move nothing (NHWC rows), but a Keras reader expects to see them.
    if (L.kind === 'dense' && prev && prev.kind !== 'dense')
      rows.push(['flatten (Flatten)', shapeText([prev.outputs]), '0']);
    if (L.kind !== 'dense' && prev && prev.kind === 'dense')
      rows.push(['reshape (Reshape)', shapeText(L.inShape), '0']);
    const n = layerParamCount(L);
    total += n;
    const label = L.labelIn ? ' + label' : '';
    rows.push([
      `${names[l]} (${KIND_NAMES[L.kind]}, ${L.activation}${label})`,
      shapeText(L.kind === 'dense' ? [L.outputs] : L.outShape),
      n.toLocaleString('en-US'),
    ]);
  });
  const head: [string, string, string] = ['Layer (type)', 'Output shape', 'Param #'];
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: [string, string, string]): string =>
    `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const rule = '─'.repeat(w[0] + w[1] + w[2] + 4);
  const extras = [
    spec.variational ? `variational: the code layer gives mean and log-variance of ${spec.latent} dimensions` : '',
    spec.classes > 0
      ? `conditional: ${spec.classes} classes, one-hot after the encoder's first dense input and after the code`
      : '',
  ].filter(Boolean);
  return [line(head), rule, ...rows.map(line), rule, `Total params: ${total.toLocaleString('en-US')}`, ...extras].join(
    '\n',
  );
}

function shapeText(s: readonly number[]): string {
  return `(None, ${s.join(', ')})`;
}
