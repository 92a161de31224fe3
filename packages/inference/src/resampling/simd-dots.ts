/**
 * Many float32 dot products in one WebAssembly SIMD call: the resampler's
 * inner loop. Each product reads `taps` floats (a multiple of 8) of a filter
 * row and of an input window, both addressed in the kernel's own memory, four
 * lanes at a time in two accumulators. bench/scenarios/resampler.bench.ts
 * measures what it replaced (a JavaScript loop over float64 arrays).
 *
 * The module is 150 bytes, so it is written here as bytes rather than built by
 * a toolchain; WebAssembly validates it when the module is compiled.
 */

// Instruction bytes (WebAssembly core and SIMD opcodes).
const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_LOAD = 0x28;
const F32_STORE = 0x38;
const I32_EQZ = 0x45;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const F32_ADD = 0x92;
const IF = 0x04;
const LOOP = 0x03;
const VOID = 0x40;
const BR_IF = 0x0d;
const RETURN = 0x0f;
const END = 0x0b;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const V128_CONST = [SIMD, 0x0c];
const F32X4_EXTRACT_LANE = [SIMD, 0x1f];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Buffer.from(text, 'ascii')];
}

// dots(count, taps, pairs, out): for k < count, with (row, window) the k-th pair of byte addresses at pairs + 8k,
// out[k] = sum over j < taps of row[j] * window[j]. taps is a multiple of 8 and at least 8.
const [COUNT, TAPS, PAIRS, OUT, ROW, WINDOW, ROW_END, PAIRS_END, ACC_A, ACC_B] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const get = (local: number): number[] => [LOCAL_GET, local];
const set = (local: number): number[] => [LOCAL_SET, local];
const i32 = (value: number): number[] => [I32_CONST, ...uleb(value)];
// memarg: alignment hint (log2 bytes), offset.
const load4 = (local: number, offset: number): number[] => [...get(local), ...V128_LOAD, 0, ...uleb(offset)];
const laneSum = [
  ...get(ACC_A), ...F32X4_EXTRACT_LANE, 0, ...get(ACC_A), ...F32X4_EXTRACT_LANE, 1, F32_ADD,
  ...get(ACC_A), ...F32X4_EXTRACT_LANE, 2, ...get(ACC_A), ...F32X4_EXTRACT_LANE, 3, F32_ADD,
  F32_ADD,
];
const body = [
  // locals: row, window, rowEnd, pairsEnd (i32); two accumulators (v128)
  2, 4, I32, 2, V128,
  ...get(COUNT), I32_EQZ, IF, VOID, RETURN, END,
  ...get(PAIRS), ...get(COUNT), ...i32(3), I32_SHL, I32_ADD, ...set(PAIRS_END),
  ...get(TAPS), ...i32(2), I32_SHL, ...set(TAPS),
  LOOP, VOID,
  ...get(PAIRS), I32_LOAD, 2, 0, ...set(ROW),
  ...get(PAIRS), I32_LOAD, 2, 4, ...set(WINDOW),
  ...get(ROW), ...get(TAPS), I32_ADD, ...set(ROW_END),
  ...V128_CONST, ...new Array<number>(16).fill(0), ...set(ACC_A),
  ...V128_CONST, ...new Array<number>(16).fill(0), ...set(ACC_B),
  LOOP, VOID,
  ...get(ACC_A), ...load4(ROW, 0), ...load4(WINDOW, 0), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC_A),
  ...get(ACC_B), ...load4(ROW, 16), ...load4(WINDOW, 16), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC_B),
  ...get(ROW), ...i32(32), I32_ADD, ...set(ROW),
  ...get(WINDOW), ...i32(32), I32_ADD, ...set(WINDOW),
  ...get(ROW), ...get(ROW_END), I32_LT_U, BR_IF, 0,
  END,
  ...get(OUT),
  ...get(ACC_A), ...get(ACC_B), ...F32X4_ADD, ...set(ACC_A),
  ...laneSum,
  F32_STORE, 2, 0,
  ...get(OUT), ...i32(4), I32_ADD, ...set(OUT),
  ...get(PAIRS), ...i32(8), I32_ADD, LOCAL_TEE, PAIRS, ...get(PAIRS_END), I32_LT_U, BR_IF, 0,
  END,
  END,
];
const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
  ...section(3, [1, 0]),
  ...section(5, [1, 0x00, 1]),
  ...section(7, [2, ...name('memory'), 0x02, 0, ...name('dots'), 0x00, 0]),
  ...section(10, [1, ...uleb(body.length), ...body]),
]);

const PAGE_BYTES = 65_536;

// @types/node 20 does not declare the WebAssembly global: the part of it used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
let compiled: object | undefined;

/** One kernel instance with `bytes` of memory of its own; callers lay their arrays out in it. */
export class SimdDots {
  readonly memory: WasmMemory;
  /** dots(count, taps, pairsByteOffset, outByteOffset). */
  readonly dots: (count: number, taps: number, pairs: number, out: number) => void;

  constructor(bytes: number) {
    compiled ??= new WebAssembly.Module(MODULE_BYTES);
    const instance = new WebAssembly.Instance(compiled);
    this.memory = instance.exports.memory as WasmMemory;
    const pages = Math.ceil(bytes / PAGE_BYTES);
    if (pages > 1) this.memory.grow(pages - 1);
    this.dots = instance.exports.dots as SimdDots['dots'];
  }
}
