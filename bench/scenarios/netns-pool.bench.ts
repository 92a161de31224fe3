/**
 * Node pool across simulated machines: what spreading streams over inference
 * nodes on other hosts, and losing one, costs on the network Quell would meet.
 *
 * Runs test/helpers/netns-pool.ts (root, iproute2, nftables): capture and
 * playback on one network namespace, nodes a and b on two others, every link
 * CURVE with key files; four endless 48 kHz streams start on a, b joins and
 * takes two by hand-over, a is killed (-9) and b takes the rest, the dry path
 * covering. Side by side in one run: the same hosts with a plain network, and
 * with the nodes' links delayed 2 ms ± 1 ms each way (a TCP relay: this
 * kernel has no netem) and losing 0.5% of their packets.
 * Output per network: streams per node after the join, the join's move time,
 * chunks concealed (gaps + underruns) and dry-concealed during the join, kill →
 * every stream moved (ms; the 1 s node timeout is most of it), dry-concealed
 * chunks after the kill, capture's drops, mean latency, and the worst quiet
 * block and step over the four recordings.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, writeResult } from '../lib/results.js';

// The run is shared with the test, loaded from the compiled tests (see faults.bench.ts).
const { runNetnsPool } = (await import(new URL('../../../test/dist/helpers/netns-pool.js', import.meta.url).href)) as typeof import('../../test/dist/helpers/netns-pool.js');

const NETWORKS = [
  { name: 'plain', delayMs: 0, jitterMs: 0, lossPermille: 0 },
  { name: '2±1 ms, 0.5% loss', delayMs: 2, jitterMs: 1, lossPermille: 5 },
];

const rows: Record<string, string | number>[] = [];
const results: Record<string, unknown> = {};
for (const network of NETWORKS) {
  const r = await runNetnsPool(await mkdtemp(join(tmpdir(), 'quell-netns-pool-')), network);
  results[network.name] = r;
  rows.push({
    network: network.name,
    spread: Object.entries(r.spreadAfterJoin).map(([node, n]) => `${node}:${n}`).join(' '),
    joinMovesS: r.joinMovesS,
    joinConcealed: r.joinConcealed,
    joinDry: r.joinDryConcealed,
    killToMovedMs: Math.round(r.killToMovedMs),
    killDry: r.killDryConcealed,
    captureDrops: r.captureDrops,
    latencyMs: r.meanLatencyMs,
    quietBlocks: r.streams.filter((s) => s.quietBlock >= 0).length,
    worstStepRatio: Math.max(...r.streams.map((s) => s.maxStep)) / r.signalStep,
  });
}
printTable('node pool across simulated hosts (4 streams, gain model, dry path on)', rows);
console.log(`\nwrote ${writeResult('netns-pool', { networks: NETWORKS, streams: 4, model: 'gain' }, results)}`);
