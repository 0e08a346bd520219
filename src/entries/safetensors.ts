// Entry `wasm-autoencoder/safetensors`: a model's weights as a safetensors file named as the
// state_dict of the torch.nn.Sequential that runs the same network (docs/interop.md prints it),
// and a model from such a file, ours or one PyTorch's safetensors.torch.save_file wrote.
import { Autoencoder } from '../model/autoencoder.js';
import { normalizeOptions, type AutoencoderOptions, type ModelConfig } from '../model/options.js';
import { configFromFile } from '../model/storedConfig.js';
import { networkOf } from '../model/setup.js';
import type { RuntimeOptions } from '../model/types.js';
import { torchLayout, type TorchModule } from '../model/torch.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { encodeModelFile } from '../io/modelFile.js';
import { Prng } from '../util/prng.js';

export type { TorchModule };

/** The `__metadata__` key holding the model's config (JSON, as a model file stores it). */
export const CONFIG_METADATA_KEY = 'wasm-autoencoder.config';

const FN = 'fromSafetensors';
const RUNTIME_KEYS = ['kernels', 'wasm', 'threads'] as const;

/** The model's weights as a safetensors file, its config in `__metadata__`. */
export function toSafetensors(ae: Autoencoder): Uint8Array {
  const spec = networkOf(ae.config, 'toSafetensors');
  let layout;
  try {
    layout = torchLayout(spec);
  } catch (cause) {
    throw new Error(`toSafetensors: ${(cause as Error).message}`);
  }
  // The flat parameter vector (each tensor at its offset in the spec), which the layout indexes.
  const params = new Float32Array(spec.paramCount);
  ae.getWeights().forEach((w, l) => {
    params.set(w.kernel, spec.layers[l].weightOffset);
    params.set(w.bias, spec.layers[l].biasOffset);
  });
  return encodeSafetensors({
    tensors: layout.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      data: Float32Array.from(t.source, (i) => params[i]),
    })),
    metadata: { format: 'pt', [CONFIG_METADATA_KEY]: JSON.stringify(ae.config) },
  });
}

/** The torch.nn.Sequential modules of a model of these options, in order (see docs/interop.md). */
export function torchModules(options: AutoencoderOptions): TorchModule[] {
  return torchLayout(networkOf(normalizeOptions(options), 'torchModules')).modules;
}

/**
 * A model from a safetensors file: one toSafetensors wrote (its config in the metadata), or the
 * state_dict of the documented Sequential (then `options`, the create() options, say which model).
 * Every tensor must be there with its shape, F32, and nothing else.
 */
export async function fromSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: AutoencoderOptions & RuntimeOptions = {},
): Promise<Autoencoder> {
  const file = decodeSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  const runtime = Object.fromEntries(
    RUNTIME_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
  ) as RuntimeOptions;
  const modelOptions = Object.fromEntries(
    Object.entries(options).filter(([k]) => !(RUNTIME_KEYS as readonly string[]).includes(k)),
  ) as AutoencoderOptions;
  const config = configOf(file.metadata[CONFIG_METADATA_KEY], modelOptions);
  const spec = networkOf(config, FN);
  let layout;
  try {
    layout = torchLayout(spec);
  } catch (cause) {
    throw new Error(`${FN}: ${(cause as Error).message}`);
  }
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const expected = new Set(layout.tensors.map((t) => t.name));
  const unknown = file.tensors.filter((t) => !expected.has(t.name)).map((t) => `'${t.name.slice(0, 60)}'`);
  if (unknown.length)
    throw new Error(
      `${FN}: the file has tensors this model does not (${unknown.slice(0, 5).join(', ')}); expected ${[...expected].join(', ')}`,
    );
  const params = new Float32Array(spec.paramCount);
  for (const t of layout.tensors) {
    const got = byName.get(t.name);
    if (!got)
      throw new Error(
        `${FN}: the file lacks tensor '${t.name}' of shape [${t.shape.join(', ')}]; it has ${file.tensors.map((x) => x.name).join(', ') || 'none'}`,
      );
    if (got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(
        `${FN}: tensor '${t.name}' must have shape [${t.shape.join(', ')}], got [${got.shape.join(', ')}]`,
      );
    }
    for (let i = 0; i < t.source.length; i++) params[t.source[i]] = got.data[i];
  }
  // Through the model file, whose load checks the weights (finite) and sets up the model.
  const model = encodeModelFile({
    header: {
      library: 'wasm-autoencoder',
      config,
      paramCount: spec.paramCount,
      step: 0,
      shuffleState: new Prng((config.seed ^ 0x5bd1e995) >>> 0).state(),
      epochs: 0,
    },
    params,
  });
  try {
    return await Autoencoder.load(model, runtime);
  } catch (cause) {
    throw new Error(
      (cause as Error).message
        .replace(/^Autoencoder\.load: the model file's/, `${FN}: the file's`)
        .replace(/^Autoencoder\.load:/, `${FN}:`),
    );
  }
}

/** The file's config, or the one `options` give; both must agree where both are given. */
function configOf(stored: string | undefined, options: AutoencoderOptions): ModelConfig {
  const given = Object.keys(options).length > 0;
  let fromOptions: ModelConfig | undefined;
  if (given) {
    try {
      fromOptions = normalizeOptions(options);
    } catch (cause) {
      throw new Error(`${FN}: ${(cause as Error).message.replace(/^Autoencoder\.create: /, '')}`);
    }
  }
  if (stored === undefined) {
    if (!fromOptions)
      throw new Error(`${FN}: the file has no '${CONFIG_METADATA_KEY}' metadata; give the model's create() options`);
    return fromOptions;
  }
  let config: ModelConfig;
  try {
    config = configFromFile(JSON.parse(stored));
  } catch (cause) {
    throw new Error(
      `${FN}: the file's '${CONFIG_METADATA_KEY}' metadata is not a valid config: ${(cause as Error).message}`,
    );
  }
  if (fromOptions && JSON.stringify(fromOptions) !== JSON.stringify(config)) {
    throw new Error(
      `${FN}: the options give a different model from the file's config (${JSON.stringify(config).slice(0, 300)})`,
    );
  }
  return config;
}
