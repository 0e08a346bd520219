// The layer syntax of --encoder and --decoder: dense widths and conv layers in one comma-separated
// list (64,32 or c16k3s2,c32k3s2), parsed with errors that name the flag, and written back the
// same way for the model line train prints.
import type { AutoencoderOptions, ModelConfig } from '../entries/index.js';
import { UsageError } from './errors.js';

type LayerOption = NonNullable<AutoencoderOptions['encoder']>[number];
type ConvOption = Exclude<LayerOption, number>;
type StoredLayer = ModelConfig['encoder'][number];

const MAX_WIDTH = 1 << 16;
const MAX_FILTERS = 4096;
const KINDS = { c: 'conv2d', t: 'conv2dTranspose' } as const;
type KindLetter = keyof typeof KINDS;

export const LAYERS_HELP = `Layers (--encoder, --decoder):
  A comma-separated list; '' is no hidden layers. Each entry is a dense width (64) or a conv layer:
    cF[kK][sS][pP]   conv2d with F filters, a K×K kernel (1 to 7, default 3), stride S (1 or 2,
                     default 1) and padding P ('same', the default, or 'valid'); k, s and p in any
                     order, each at most once: c16k3s2, c32, c16k5s1pvalid
    tF[kK][sS][pP]   conv2dTranspose, the same way (decoder only): t16k3s2
  The encoder's conv layers come before its dense ones. A conv decoder starts from a dense layer to
  the shape of the encoder's last conv layer (added when not given), and the layer back to the
  images' shape is always added. --decoder mirror (the default) is the encoder reversed, with
  conv2dTranspose layers for the conv2d ones.
  --model dense is --encoder 64,32; --model conv is --encoder c16k3s2,c32k3s2 (both: --latent 32,
  --decoder mirror).`;

/** The encoders --model names; the rest (latent 32, decoder mirror) is the library's default. */
export const MODEL_PRESETS: Record<string, { encoder: string }> = {
  dense: { encoder: '64,32' },
  conv: { encoder: 'c16k3s2,c32k3s2' },
};

const shown = (raw: string): string => `'${raw.length > 40 ? `${raw.slice(0, 40)}...` : raw}'`;

/** One entry: a dense width or a conv layer whose kind is one of `letters`. */
function layerEntry(flag: string, part: string, letters: readonly KindLetter[]): LayerOption {
  const syntax = `a dense width (like 64) or a conv layer (like ${letters.map((l) => `${l}16k3s2`).join(' or ')}; see --help)`;
  if (/^\d+$/.test(part)) {
    const width = Number(part);
    if (width < 1 || width > MAX_WIDTH)
      throw new UsageError(`${flag}: dense width ${shown(part)} must be in [1, ${MAX_WIDTH}]`);
    return width;
  }
  const head = /^([a-z])(\d+)/.exec(part);
  if (!head || !Object.hasOwn(KINDS, head[1])) throw new UsageError(`${flag}: ${shown(part)} is not ${syntax}`);
  const letter = head[1] as KindLetter;
  if (!letters.includes(letter)) {
    throw new UsageError(
      `${flag}: ${shown(part)} is a ${KINDS[letter]} layer, which the ${flag === '--encoder' ? 'encoder' : 'decoder'} cannot have; ` +
        `use ${letters.map((l) => `${l}${part.slice(1)}`).join(' or ')}`,
    );
  }
  const layer: ConvOption = { type: KINDS[letter], filters: Number(head[2]) };
  if (layer.filters < 1 || layer.filters > MAX_FILTERS)
    throw new UsageError(`${flag}: ${shown(part)} has ${layer.filters} filters; give 1 to ${MAX_FILTERS}`);
  const seen = new Set<string>();
  const rest = /([ksp])(\d+|same|valid)/y;
  rest.lastIndex = head[0].length;
  while (rest.lastIndex < part.length) {
    const m = rest.exec(part);
    if (!m) throw new UsageError(`${flag}: ${shown(part)} is not ${syntax}`);
    const [, key, value] = m;
    if (seen.has(key)) throw new UsageError(`${flag}: ${shown(part)} gives ${key} twice`);
    seen.add(key);
    if (key === 'p') {
      if (value !== 'same' && value !== 'valid')
        throw new UsageError(`${flag}: ${shown(part)} has padding ${value}; give psame or pvalid`);
      layer.padding = value;
      continue;
    }
    if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: ${shown(part)} is not ${syntax}`);
    const n = Number(value);
    if (key === 'k') {
      if (n < 1 || n > 7) throw new UsageError(`${flag}: ${shown(part)} has kernel ${n}; give k1 to k7`);
      layer.kernelSize = n;
    } else {
      if (n !== 1 && n !== 2) throw new UsageError(`${flag}: ${shown(part)} has stride ${n}; give s1 or s2`);
      layer.strides = n;
    }
  }
  return layer;
}

/** --encoder: dense widths and conv2d layers; '' is the empty list. */
export function encoderOption(raw: string): LayerOption[] {
  const layers = layerList('--encoder', raw, ['c']);
  const dense = layers.findIndex((l) => typeof l === 'number');
  const lateConv = layers.findIndex((l, i) => typeof l !== 'number' && dense >= 0 && i > dense);
  if (lateConv >= 0) {
    throw new UsageError(
      `--encoder: conv layer ${shown(raw.split(',')[lateConv].trim())} comes after dense layer ${layers[dense]}; the conv layers come first`,
    );
  }
  return layers;
}

/** --decoder: 'mirror', or dense widths, conv2dTranspose and conv2d layers. */
export function decoderOption(raw: string): LayerOption[] | 'mirror' {
  return raw.trim() === 'mirror' ? 'mirror' : layerList('--decoder', raw, ['t', 'c']);
}

function layerList(flag: string, raw: string, letters: readonly KindLetter[]): LayerOption[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part) => layerEntry(flag, part.trim(), letters));
}

/** A stored layer in the syntax above: 64, c16k3s2, t16k3s1pvalid. */
export function layerText(layer: StoredLayer): string {
  if (typeof layer === 'number') return String(layer);
  const letter = layer.type === 'conv2d' ? 'c' : 't';
  return `${letter}${layer.filters}k${layer.kernelSize}s${layer.strides}${layer.padding === 'valid' ? 'pvalid' : ''}`;
}
