// A TCP relay that delays every byte it passes by a fixed delay plus random
// jitter, in both directions, keeping each direction's order (TCP cannot
// reorder): the delay `tc netem` would add, for kernels built without netem.
// Run as a process (in the simulated router's network namespace):
//   node delay-relay.js '{"delayMs":2,"jitterMs":1,"routes":[{"listenPort":15557,"targetHost":"10.77.1.2","targetPort":5557}]}'
// It prints 'ready' on stdout once every route listens.
import { connect, createServer, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface RelayRoute {
  /** Port the relay listens on (every address of its namespace). */
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

export interface RelayConfig {
  delayMs: number;
  /** Each write is delayed by delayMs + uniform(-jitterMs, +jitterMs), never before the previous one. */
  jitterMs: number;
  routes: RelayRoute[];
}

/**
 * Forwards `from` to `to`, each chunk `delayMs ± jitterMs` later, in order: one queue and one timer per
 * direction (a timer per chunk would reorder bytes, Node firing a shorter timer set later first).
 */
function pipeDelayed(from: Socket, to: Socket, config: RelayConfig): void {
  const queue: { dueMs: number; data: Buffer }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const pump = (): void => {
    timer = null;
    const nowMs = performance.now();
    while (queue.length > 0 && queue[0].dueMs <= nowMs) {
      const { data } = queue.shift()!;
      if (!to.destroyed) to.write(data);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0].dueMs - nowMs);
    else if (ended) to.destroy();
  };
  from.on('data', (data: Buffer) => {
    const last = queue.at(-1)?.dueMs ?? 0;
    queue.push({ dueMs: Math.max(last, performance.now() + config.delayMs + (Math.random() * 2 - 1) * config.jitterMs), data });
    timer ??= setTimeout(pump, Math.max(0, queue[0].dueMs - performance.now()));
  });
  from.on('close', () => {
    ended = true;
    if (!timer) pump();
  });
}

export async function startRelay(config: RelayConfig): Promise<void> {
  for (const route of config.routes) {
    const server = createServer((client) => {
      client.setNoDelay(true);
      const upstream = connect(route.targetPort, route.targetHost);
      upstream.setNoDelay(true);
      for (const s of [client, upstream]) s.on('error', () => s.destroy());
      pipeDelayed(client, upstream, config);
      pipeDelayed(upstream, client, config);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(route.listenPort, '0.0.0.0', () => resolve());
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await startRelay(JSON.parse(process.argv[2] ?? '{}') as RelayConfig);
  process.stdout.write('ready\n');
}
