// A model file's contents read back: bytes from outside, so the config must hold every field and
// be exactly the normal form create() gives, and its numbers must be ones training could write.
import { describeValue } from '../util/errors.js';
import type { OptimizerConfig } from '../engine/engine.js';
import {
  normalizeOptions,
  OPTIMIZER_OPTIONS,
  OPTIMIZERS,
  type Activation,
  type AutoencoderOptions,
  type LayerConfig,
  type Loss,
  type ModelConfig,
  type OptimizerOptions,
} from './options.js';

const FN = 'Autoencoder.create';

const CONFIG_KEYS: readonly (keyof ModelConfig)[] = [
  'variational',
  'beta',
  'classes',
  'inputShape',
  'encoder',
  'latent',
  'decoder',
  'activations',
  'latentActivation',
  'output',
  'leakyReluAlpha',
  'loss',
  'optimizer',
  'seed',
];

/**
 * A config as a model file stores it, checked: every field present (none defaulted: a missing
 * `activations` must not load as relu), none unknown, and exactly the normal form create() gives
 * for the options it implies, so nothing in it goes unchecked or unused. Throws plain messages.
 */
export function configFromFile(stored: unknown): ModelConfig {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw new Error('it is not an object');
  const c = stored as Record<string, unknown>;
  const missing = CONFIG_KEYS.filter((k) => !(k in c));
  if (missing.length) throw new Error(`it lacks ${missing.join(', ')}`);
  const unknown = Object.keys(c).filter((k) => !CONFIG_KEYS.includes(k as keyof ModelConfig));
  if (unknown.length) throw new Error(`it has unknown fields ${unknown.map((k) => k.slice(0, 40)).join(', ')}`);
  const o = c.optimizer as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('optimizer is not an object');
  const type = o.type as OptimizerConfig['type'];
  if (!OPTIMIZERS.includes(type))
    throw new Error(`optimizer.type must be 'adam', 'adamw' or 'sgd', got ${describeValue(type)}`);
  if (typeof c.variational !== 'boolean')
    throw new Error(`variational must be true or false, got ${describeValue(c.variational)}`);
  if (!Number.isInteger(c.classes)) throw new Error(`classes must be an integer, got ${describeValue(c.classes)}`);
  let config: ModelConfig;
  try {
    config = normalizeOptions({
      inputShape: c.inputShape as AutoencoderOptions['inputShape'],
      encoder: c.encoder as LayerConfig[],
      latent: c.latent as number,
      decoder: c.decoder as LayerConfig[],
      activation: c.activations as Activation[],
      latentActivation: c.latentActivation as Activation,
      output: c.output as Activation,
      leakyReluAlpha: c.leakyReluAlpha as number,
      loss: c.loss as Loss,
      seed: c.seed as number,
      optimizer: Object.fromEntries(OPTIMIZER_OPTIONS[type].map((k) => [k, o[k]])) as OptimizerOptions,
      variational: c.variational ? { beta: c.beta as number } : false,
      conditional: (c.classes as number) > 0 ? { classes: c.classes as number } : undefined,
    });
  } catch (error) {
    throw new Error((error as Error).message.replace(`${FN}: `, ''));
  }
  const differs = firstDifference(config, c, '');
  if (differs) throw new Error(`${differs} is not what the rest of the config implies`);
  return config;
}

/** The first path where two JSON values differ (key order aside), or ''. */
function firstDifference(a: unknown, b: unknown, path: string): string {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null)
    return Object.is(a, b) ? '' : path || 'the config';
  if (Array.isArray(a) !== Array.isArray(b)) return path || 'the config';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      path ? `${path}.${k}` : k,
    );
    if (d) return d;
  }
  return '';
}

/**
 * A loaded file's numbers, before any of them is used: finite weights, and an optimizer state
 * that a step could have written (finite; Adam's second moment v ≥ 0, whose square root the
 * update takes). A negative v loaded silently made the next fit resolve with every weight NaN.
 */
export function checkLoadedState(
  fn: string,
  config: ModelConfig,
  params: Float32Array,
  state?: [Float32Array, Float32Array],
): void {
  const firstBad = (v: Float32Array, ok: (x: number) => boolean): number => {
    for (let i = 0; i < v.length; i++) if (!ok(v[i])) return i;
    return -1;
  };
  const finite = (x: number): boolean => x - x === 0;
  let i = firstBad(params, finite);
  if (i >= 0) throw new Error(`${fn}: the model file's weights must be finite, got ${params[i]} at index ${i}`);
  if (!state) return;
  i = firstBad(state[0], finite);
  if (i >= 0)
    throw new Error(
      `${fn}: the model file's optimizer state must be finite, got ${state[0][i]} at index ${i} of its first vector`,
    );
  const adam = config.optimizer.type !== 'sgd';
  i = firstBad(state[1], adam ? (x) => x >= 0 && x < Infinity : finite);
  if (i >= 0)
    throw new Error(
      `${fn}: the model file's optimizer state must be ${adam ? "finite and ≥ 0 (Adam's second moment)" : 'finite'}, got ${state[1][i]} at index ${i} of its second vector`,
    );
}
