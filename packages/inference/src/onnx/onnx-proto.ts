import protobuf from 'protobufjs';
import { ONNX_PROTO_SCHEMA } from './onnx-schema.js';

/** The ONNX protobuf message types a graph rewrite decodes and builds (field names as in onnx.proto). */
export interface OnnxTypes {
  model: protobuf.Type;
  valueInfo: protobuf.Type;
  node: protobuf.Type;
  tensor: protobuf.Type;
}

/** A protobuf int64 as decoded: a number, or a Long past 2^53. */
export type ProtoInt = number | { toNumber(): number };

/** A decoded tensor dimension: a fixed size or a symbolic name. */
export interface OnnxDim {
  dim_value?: ProtoInt;
  dim_param?: string;
}

/** A decoded graph input or output with its tensor shape. */
export interface OnnxValueInfo {
  name: string;
  type?: { tensor_type?: { shape?: { dim: OnnxDim[] } } };
}

let schema: protobuf.Root | undefined;

/** The ONNX message types, parsed once per process. */
export function onnxTypes(): OnnxTypes {
  schema ??= protobuf.parse(ONNX_PROTO_SCHEMA, { keepCase: true }).root;
  return {
    model: schema.lookupType('onnx.ModelProto'),
    valueInfo: schema.lookupType('onnx.ValueInfoProto'),
    node: schema.lookupType('onnx.NodeProto'),
    tensor: schema.lookupType('onnx.TensorProto'),
  };
}

/** A protobuf int64 field (a number, or a Long for values past 2^53) as a number. */
export function toNumber(v: ProtoInt | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
