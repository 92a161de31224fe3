/**
 * DeepFilterNet3 benchmark: what each 10 ms hop of the heaviest model costs,
 * as a distribution, since the tail decides whether a live call keeps up.
 * The 10.6 s noisy recording (speech_noisy_snr0_48k.wav) is fed one 480-frame
 * hop at a time at 48 kHz, in this process; every hop of it is timed after
 * 200 warm-up hops.
 *
 * Variants:
 * - `stream`: DeepFilterNet3Stream.process() on one hop: the DSP (STFT, ERB
 *   and DF features, deep filtering, overlap-add) and the three ONNX graphs;
 * - `ort floor`: the three graphs' native session runs alone with their state
 *   carried, no DSP (bench/lib/ort-floor.ts): the least ONNX Runtime costs.
 * The `inference` scenario compares the means of both with the stage's.
 *
 * Fields: p50_us, p99_us, max_us, mean_us (µs per hop), p99_share_of_hop
 * (p99 over the hop's 10 000 µs: at 1 or more a live stream falls behind),
 * hops (hops timed).
 */
import { createProcessor, DEFAULT_MODEL_STORE_DIR, fetchModels } from '@quell/inference';
import { resolveTestAudio } from '@quell/inference/testing';
import { readWav } from '@quell/runtime';
import { floorHop } from '../lib/ort-floor.js';
import { percentiles, printTable, writeResult } from '../lib/results.js';
import { timeHops } from '../lib/time-hops.js';

const RATE_HZ = 48_000;
const HOP_US = 10_000;
const INPUT = 'speech_noisy_snr0_48k.wav';

await fetchModels(['deepfilternet3']);
const speech = (await readWav(await resolveTestAudio(INPUT))).samples;
const processor = await createProcessor('deepfilternet3', { modelDir: DEFAULT_MODEL_STORE_DIR });
const hopFrames = processor.hopFrames;
const hops = Math.floor(speech.length / hopFrames);
const stream = processor.createStream(RATE_HZ, 1);
const out = new Float32Array(hopFrames);
let next = 0;
const streamUs = await timeHops(() => {
  const at = (next++ % hops) * hopFrames;
  stream.process(speech.subarray(at, at + hopFrames), out);
}, hops);
stream.close();
await processor.close();
const floorUs = await timeHops(await floorHop('deepfilternet3', DEFAULT_MODEL_STORE_DIR, 'native'), hops);

const rows = Object.entries({ stream: streamUs, 'ort floor': floorUs }).map(([variant, us]) => {
  const p = percentiles(us);
  return { variant, p50_us: p.p50, p99_us: p.p99, max_us: p.max, mean_us: p.mean, p99_share_of_hop: p.p99 / HOP_US, hops: p.count };
});
printTable('deepfilternet3: µs per 10 ms hop at 48 kHz, stream against its three ONNX runs alone', rows);
console.log(`\nwrote ${writeResult('deepfilternet3', { sampleRateHz: RATE_HZ, hopFrames, warmUpHops: 200, input: INPUT }, { rows })}`);
