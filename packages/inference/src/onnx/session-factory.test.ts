import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { prepareTestModels } from '../testing/test-models.js';
import { createFloatTensor, createSession, tensorData } from './session-factory.js';

/** Deterministic pseudo-random values in [-1, 1). */
function fill(data: Float32Array, seed: number): void {
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    data[i] = x / 2 ** 30 - 1;
  }
}

// OrtSession reaches onnxruntime-node's native session through the package's
// binding module: this checks, on every install, that it computes exactly what
// the public API computes, so an upgrade that changes the internals fails here.
describe('OrtSession (synchronous native session)', () => {
  it('matches the public async API, writing outputs into the preallocated tensors', async () => {
    const path = join(await prepareTestModels(['dtln']), 'dtln', 'model_1.onnx');
    const mag = createFloatTensor([1, 1, 257]);
    const state = createFloatTensor([1, 2, 128, 2]);
    fill(tensorData(mag), 7);
    fill(tensorData(state), 11);
    const reference = await (await ort.InferenceSession.create(path, { intraOpNumThreads: 1 })).run({ input_2: mag, input_3: state });

    const session = await createSession(path);
    assert.deepEqual(session.inputNames, ['input_2', 'input_3']);
    assert.deepEqual(session.outputNames, ['activation_2', 'tf_op_layer_stack_2']);
    const mask = createFloatTensor([1, 1, 257]);
    const nextState = createFloatTensor([1, 2, 128, 2]);
    session.run({ input_2: mag, input_3: state }, { activation_2: mask, tf_op_layer_stack_2: nextState });
    assert.ok(tensorData(mask).some((v) => v !== 0), 'mask written in place');
    assert.deepEqual(tensorData(mask), reference.activation_2.data);
    assert.deepEqual(tensorData(nextState), reference.tf_op_layer_stack_2.data);

    const allocated = session.runAllocating({ input_2: mag, input_3: state });
    assert.deepEqual(allocated.activation_2.dims, [1, 1, 257]);
    assert.deepEqual(allocated.activation_2.data, reference.activation_2.data);
    session.release();
    session.release();
  });

  it('loads from bytes as from a path, and rejects a file that is not a model', async () => {
    const { readFile } = await import('node:fs/promises');
    const path = join(await prepareTestModels(['dtln']), 'dtln', 'model_2.onnx');
    const session = await createSession(new Uint8Array(await readFile(path)));
    assert.deepEqual(session.inputNames, ['input_4', 'input_5']);
    session.release();
    await assert.rejects(createSession(new Uint8Array([1, 2, 3, 4])));
  });
});
