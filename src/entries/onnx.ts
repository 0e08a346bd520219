// Entry `wasm-autoencoder/onnx`: the model, its encoder or its decoder as an ONNX model (opset 13)
// for onnxruntime and other ONNX runtimes. It imports nothing from ONNX: the protobuf is written here.
export { toOnnx, ONNX_OPSET, ONNX_IR_VERSION } from '../io/onnx.js';
export type { OnnxPart } from '../io/onnx.js';
