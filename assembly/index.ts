// The kernels' exports. Pure functions over byte offsets into the one memory the TypeScript side
// plans; nothing here allocates or keeps state.
//
// Argument order, the same for every kernel (llm.c's):
//   1. outputs first, then inputs: pointers a kernel writes (or accumulates into) before the ones
//      it only reads;
//   2. a pointer whose rows are not packed is followed by its own row stride (`out, outStride`),
//      or by what else says how to step through it (qgemm's `xScale, rowsPerScale`);
//   3. then the sizes (rows, columns, M, K, N, image geometry);
//   4. then scalars and flags last (activation code, alpha, learning rate, seed, accumulate).
// Codes (activations, noise kinds) are exported as constant globals; the TypeScript side's table
// (src/engine/codes.ts) is pinned to them by test/kernels/codes.test.ts.
export { gemmNN, gemmTN, transpose, transposeInto } from './gemm';
export {
  leakyReluForward, sigmoidForward, tanhForward, reluBackward, leakyReluBackward, sigmoidBackward, tanhBackward,
  biasBackward, biasActivation,
} from './activations';
export {
  ACTIVATION_LINEAR, ACTIVATION_RELU, ACTIVATION_LEAKY_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH,
} from './simd';
export { mseLoss, bceSigmoidLoss, rowSquaredError } from './losses';
export { sgdStep, adamStep } from './optimizers';
export { u8ToF32, gatherRowsU8, gatherRowsF32, copyRows, oneHotRows, addF32, zeroF32, allFinite } from './data';
export { im2col, col2imAdd } from './conv';
export { corruptRows, NOISE_NONE, NOISE_GAUSSIAN, NOISE_MASKING, NOISE_SALT_AND_PEPPER } from './noise';
export { vaeSample, vaeBackward } from './variational';
export { quantizeRows, quantizeRowsToF32, f32ToI16Rows, quantizeU8Rows, qgemm } from './quant';
export { peakProbe, peakProbeFlops } from './probe';

// Where the caller's arena may start: above anything the compiler placed in memory.
export function heapBase(): usize {
  return __heap_base;
}
