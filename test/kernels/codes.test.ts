// The activation and noise codes are defined by the kernels (assembly/simd.ts, assembly/noise.ts)
// and exported by the module as constant globals; the TypeScript tables in src/engine/codes.ts
// must name the same numbers, in every build.
import { describe, expect, it } from 'vitest';
import { buildsToTest, compileBuild } from '../helpers/kernel-harness.js';
import { ACTIVATION_CODES, NOISE_CODES } from '../../src/engine/codes.js';

const ACTIVATION_GLOBALS = {
  linear: 'ACTIVATION_LINEAR',
  relu: 'ACTIVATION_RELU',
  leakyRelu: 'ACTIVATION_LEAKY_RELU',
  sigmoid: 'ACTIVATION_SIGMOID',
  tanh: 'ACTIVATION_TANH',
} as const;
const NOISE_GLOBALS = {
  none: 'NOISE_NONE',
  gaussian: 'NOISE_GAUSSIAN',
  masking: 'NOISE_MASKING',
  saltAndPepper: 'NOISE_SALT_AND_PEPPER',
} as const;

describe.each(buildsToTest())('%s build: codes', (build) => {
  const exports = new WebAssembly.Instance(compileBuild(build), {
    env: { memory: new WebAssembly.Memory({ initial: 1 }) },
  }).exports as Record<string, WebAssembly.Global>;
  const globalsOf = (names: Record<string, string>) =>
    Object.fromEntries(Object.entries(names).map(([name, global]) => [name, exports[global]?.value]));

  it('src/engine/codes.ts ACTIVATION_CODES are the kernels’ ACTIVATION_* globals', () => {
    expect(Object.keys(ACTIVATION_CODES).sort()).toEqual(Object.keys(ACTIVATION_GLOBALS).sort());
    expect(ACTIVATION_CODES).toEqual(globalsOf(ACTIVATION_GLOBALS));
  });

  it('src/engine/codes.ts NOISE_CODES are the kernels’ NOISE_* globals', () => {
    expect(Object.keys(NOISE_CODES).sort()).toEqual(Object.keys(NOISE_GLOBALS).sort());
    expect(NOISE_CODES).toEqual(globalsOf(NOISE_GLOBALS));
  });

  it('the codes are distinct', () => {
    expect(new Set(Object.values(ACTIVATION_CODES)).size).toBe(Object.keys(ACTIVATION_CODES).length);
    expect(new Set(Object.values(NOISE_CODES)).size).toBe(Object.keys(NOISE_CODES).length);
  });
});
