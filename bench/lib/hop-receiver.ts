// Child process for the transport benchmark: PULLs chunks, records one-way
// latency (receive wall clock minus the header's capture time, µs) and
// reports the samples to the parent over IPC when the end-of-stream chunk
// arrives.
import { decodeFrame, FrameFlags, wallClockUs } from '@quell/protocol';
import { createPullSocket, defaultLinkSecurity } from '@quell/runtime';

const endpoint = process.argv[2];
const expected = Number(process.argv[3]);
const localAuth = process.argv[4] === 'off' ? 'off' : 'curve';
// Secured as a stage's defaults are (the user's local key) unless the variant measures plaintext.
const security = await defaultLinkSecurity('bench-receiver', [{ endpoint, mode: 'bind' }], localAuth);
const pull = createPullSocket({ highWaterMarkChunks: 100_000, curve: security.curve[0] });
await pull.bind(endpoint);
process.send?.({ type: 'ready', endpoint: pull.lastEndpoint });
const latenciesUs = new Float64Array(expected);
let received = 0;
let firstUs = 0;
for await (const parts of pull) {
  const frame = decodeFrame(parts);
  if (!frame.ok) continue;
  const now = wallClockUs();
  if (received === 0) firstUs = now;
  if (received < expected) latenciesUs[received] = now - frame.header.captureTimeUs;
  received++;
  if (frame.header.flags & FrameFlags.END_OF_STREAM) break;
}
const elapsedUs = wallClockUs() - firstUs;
process.send?.({ type: 'done', received, elapsedUs, latenciesUs: Array.from(latenciesUs.subarray(0, Math.min(received, expected))) }, () => process.exit(0));
