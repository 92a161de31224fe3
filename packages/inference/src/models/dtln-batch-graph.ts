import { onnxTypes, toNumber, type OnnxDim, type OnnxValueInfo, type ProtoInt } from '../onnx/onnx-proto.js';

// The parts of the decoded ONNX messages this file touches (besides the shared ones in onnx-proto.ts).
interface Tensor {
  name: string;
  int64_data?: ProtoInt[];
}
interface Graph {
  node: { op_type: string; input: string[] }[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  initializer: Tensor[];
}

function setBatchDim(dim: OnnxDim): void {
  delete dim.dim_value;
  dim.dim_param = 'batch';
}

/**
 * Rewrites one of DTLN's two graphs (shared/models/README.md), made for one
 * stream with batch 1, to take any batch of streams in one call: every graph
 * input's first dimension (and an output's fixed 1 there) becomes the symbolic `batch`, and the
 * two Reshapes of the stage-2 dense layer (Tensordot: [1, 128] and [1, 1, 256])
 * take -1 there instead of 1. Every other node already works row by row (the
 * LSTM's batch axis, convolutions, the per-frame layer norm). Throws when the
 * graph is not the one this expects.
 */
export function batchDtlnGraph(bytes: Uint8Array): Uint8Array {
  const types = onnxTypes();
  const model = types.model.decode(bytes) as unknown as { graph: Graph };
  const graph = model.graph;
  for (const info of graph.input) {
    const dims = info.type?.tensor_type?.shape?.dim;
    if (!dims || toNumber(dims[0]?.dim_value) !== 1) throw new Error(`DTLN graph input '${info.name}' does not start with a batch dimension of 1`);
    setBatchDim(dims[0]);
  }
  // Outputs may leave their shape to inference; a fixed 1 must go.
  for (const info of graph.output) {
    const first = info.type?.tensor_type?.shape?.dim[0];
    if (first && toNumber(first.dim_value) === 1) setBatchDim(first);
  }
  const shapes = new Set(graph.node.filter((n) => n.op_type === 'Reshape').map((n) => n.input[1]));
  for (const tensor of graph.initializer) {
    if (!shapes.has(tensor.name)) continue;
    const values = tensor.int64_data;
    if (!values || toNumber(values[0]) !== 1) throw new Error(`DTLN graph Reshape shape '${tensor.name}' is not stored as int64_data starting with 1`);
    values[0] = -1;
    shapes.delete(tensor.name);
  }
  if (shapes.size > 0) throw new Error(`DTLN graph Reshape shapes not found among the initializers: ${[...shapes].join(', ')}`);
  return types.model.encode(model as unknown as Record<string, unknown>).finish();
}
