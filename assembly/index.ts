// The kernels' exports. Pure functions over byte offsets into the one memory the TypeScript side
// plans; nothing here allocates or keeps state.
export { gemmNN, gemmTN, gemmNT, transpose, transposeInto } from './gemm';
export {
  reluForward, reluBackward, leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward,
  tanhForward, tanhBackward, expForward, biasBackward, biasActivation,
} from './activations';
export { mseLoss, bceSigmoidLoss, rowSquaredError } from './losses';
export { sgdStep, adamStep } from './optimizers';
export { u8ToF32, gatherRowsU8, gatherRowsF32, addF32, zeroF32, allFinite } from './data';
export { im2col, col2imAdd } from './conv';

// Where the caller's arena may start: above anything the compiler placed in memory.
export function heapBase(): usize {
  return __heap_base;
}
export { peakProbe, peakProbeFlops } from './probe';
export { corruptRows, oneHotRows, copyRows, vaeSample, vaeBackward, normalRows } from './uses';
export { quantizeRows, quantizeRowsToF32, f32ToI16Rows, quantizeU8Rows, qgemm } from './quant';
