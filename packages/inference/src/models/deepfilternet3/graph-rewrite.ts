import { onnxTypes, toNumber, type OnnxValueInfo as ValueInfo, type ProtoInt } from '../../onnx/onnx-proto.js';

/** One recurrent or convolution-context state that a rewritten graph carries between calls. */
export interface StreamingState {
  /** Graph input that takes the state before the call. */
  inputName: string;
  /** Graph output that gives the state after the call. */
  outputName: string;
  /** Tensor shape; the initial value is all zeros. */
  dims: number[];
}

export interface StreamingGraph {
  /** The rewritten model, serialised. */
  bytes: Uint8Array;
  states: StreamingState[];
}

// The parts of the decoded ONNX messages this file touches (besides the shared ones in onnx-proto.ts).
interface Attribute {
  name: string;
  i?: ProtoInt;
  s?: Uint8Array;
  ints?: ProtoInt[];
}
interface Node {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}
interface Graph {
  node: Node[];
  input: ValueInfo[];
  output: ValueInfo[];
  initializer: unknown[];
}

const FLOAT = 1;
const INT64 = 7;

function attribute(node: Node, name: string): Attribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

/**
 * Rewrites a DeepFilterNet3 graph (taking a time axis S) so that it can run one
 * frame per call and give the same result as one call over all frames:
 *
 * - every `GRU` gets its `initial_h` from a new graph input and exports `Y_h`;
 * - every causal time padding (a `Pad` feeding a `Conv` whose kernel spans k > 1
 *   frames) gets the previous k - 1 input frames from a new graph input, in
 *   front of the new frames, in place of its zeros; the newest k - 1 frames
 *   leave as a new graph output.
 *
 * The decoded model is changed in memory; the files on disk stay as they are.
 */
export function rewriteForStreaming(modelBytes: Uint8Array): StreamingGraph {
  const types = onnxTypes();
  const model = types.model.decode(modelBytes) as unknown as { graph: Graph };
  const graph = model.graph;
  const states: StreamingState[] = [];
  // Nodes to insert right before and right after a given node.
  const before = new Map<Node, Node[]>();
  const after = new Map<Node, Node[]>();

  const floatInfo = (name: string, dims: number[]): unknown =>
    types.valueInfo.fromObject({
      name,
      type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
    });
  const int64Const = (name: string, values: bigint[]): void => {
    const raw = new Uint8Array(new BigInt64Array(values).buffer);
    graph.initializer.push(types.tensor.fromObject({ name, data_type: INT64, dims: [values.length], raw_data: raw }));
  };
  const node = (op_type: string, name: string, input: string[], output: string[], attrs: object[] = []): Node =>
    types.node.fromObject({ op_type, name, input, output, attribute: attrs }) as unknown as Node;

  let gruIndex = 0;
  let padIndex = 0;
  for (const n of graph.node) {
    if (n.op_type === 'GRU') {
      const hidden = toNumber(attribute(n, 'hidden_size')?.i);
      const direction = attribute(n, 'direction')?.s;
      const forward = direction === undefined || new TextDecoder().decode(direction) === 'forward';
      if (!forward || hidden <= 0) throw new Error(`rewriteForStreaming: GRU ${n.name} is not a forward GRU`);
      const inputName = `gru${gruIndex}_h_in`;
      const outputName = n.output[1] ? n.output[1] : `gru${gruIndex}_h_out`;
      while (n.input.length < 6) n.input.push('');
      n.input[5] = inputName;
      while (n.output.length < 2) n.output.push('');
      n.output[1] = outputName;
      const dims = [1, 1, hidden];
      graph.input.push(floatInfo(inputName, dims) as ValueInfo);
      graph.output.push(floatInfo(outputName, dims) as ValueInfo);
      states.push({ inputName, outputName, dims });
      gruIndex++;
    }
  }
  for (const pad of graph.node) {
    if (pad.op_type !== 'Pad') continue;
    const conv = graph.node.find((c) => c.op_type === 'Conv' && c.input[0] === pad.output[0]);
    const kernel = conv ? attribute(conv, 'kernel_shape')?.ints : undefined;
    const kernelFrames = kernel ? toNumber(kernel[0]) : 1;
    if (kernelFrames <= 1) continue;
    const context = kernelFrames - 1;
    const source = pad.input[0];
    const sourceInfo = graph.input.find((i) => i.name === source);
    const sourceDims = sourceInfo?.type?.tensor_type?.shape?.dim;
    if (!sourceDims || sourceDims.length !== 4) {
      throw new Error(`rewriteForStreaming: Pad ${pad.name} does not read a 4-D graph input`);
    }
    const dims = [1, toNumber(sourceDims[1].dim_value), context, toNumber(sourceDims[3].dim_value)];
    const prefix = `ctx${padIndex}`;
    const inputName = `${prefix}_in`;
    const outputName = `${prefix}_out`;
    const joined = `${prefix}_joined`;
    const padded = `${prefix}_padded`;
    // DFN3's convolutions are causal: the Pad puts kernel - 1 zero frames in
    // front (graph-rewrite.test.ts checks the result against a whole-file run).
    // Feed [past, new] frames instead; the Pad still adds its zero frames,
    // which the Slice after it drops again, so the Conv sees the past frames.
    const concat = node('Concat', `${prefix}/Concat`, [inputName, source], [joined], [{ name: 'axis', type: 2, i: 2 }]);
    pad.input[0] = joined;
    const padOut = pad.output[0];
    pad.output[0] = padded;
    int64Const(`${prefix}_drop_start`, [BigInt(context)]);
    int64Const(`${prefix}_end`, [BigInt(Number.MAX_SAFE_INTEGER)]);
    int64Const(`${prefix}_keep_start`, [BigInt(-context)]);
    int64Const(`${prefix}_axis`, [2n]);
    const keep = node('Slice', `${prefix}/Keep`, [joined, `${prefix}_keep_start`, `${prefix}_end`, `${prefix}_axis`], [outputName]);
    const dropPad = node('Slice', `${prefix}/DropPad`, [padded, `${prefix}_drop_start`, `${prefix}_end`, `${prefix}_axis`], [padOut]);
    before.set(pad, [concat, keep]);
    after.set(pad, [dropPad]);
    graph.input.push(floatInfo(inputName, dims) as ValueInfo);
    graph.output.push(floatInfo(outputName, dims) as ValueInfo);
    states.push({ inputName, outputName, dims });
    padIndex++;
  }
  // ONNX wants nodes in topological order.
  const ordered: Node[] = [];
  for (const n of graph.node) ordered.push(...(before.get(n) ?? []), n, ...(after.get(n) ?? []));
  graph.node = ordered;
  return { bytes: types.model.encode(model).finish(), states };
}
