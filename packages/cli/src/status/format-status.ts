import type { StageStatus } from './stage-status.js';
import type { StatusSnapshot } from './status-poller.js';

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const GREEN = '\x1b[32m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

/** A duration in seconds with a readable unit (µs, ms, s); '-' for none. */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '-';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  return `${s.toFixed(2)} s`;
}

function formatBytes(b: number | null): string {
  if (b === null) return '-';
  return `${(b / (1024 * 1024)).toFixed(0)} MiB`;
}

interface Cell {
  text: string;
  color?: string;
}

const HEADER = ['STAGE', 'STATE', 'CHUNKS', 'RATE/S', 'QUEUE', 'DROPS', 'P50', 'P99', 'STREAMS', 'RSS', 'MODEL @ NODE'];
const RIGHT = new Set([3, 4, 5, 6, 7, 8, 9]);

function row(s: StageStatus): Cell[] {
  if (!s.up) return [{ text: s.stage }, { text: 'DOWN', color: RED }, { text: `${s.error ?? ''} (${s.url})`, color: RED }];
  const chunks = Object.entries(s.chunks ?? {}).map(([what, n]) => `${what} ${n}`).join(', ');
  const queue = s.queueTargetChunks !== null ? `${s.queueDepthChunks ?? '-'}/${s.queueTargetChunks}` : String(s.queueDepthChunks ?? '-');
  const drops = s.drops?.total ?? 0;
  const dropReasons = Object.entries(s.drops?.byReason ?? {}).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
  const model = s.model !== null
    ? `${s.model} @ ${s.node ?? '?'}${s.realtimeFactor !== null ? `  rtf ${s.realtimeFactor.toFixed(3)}` : ''}`
    : '';
  const rtfColor = s.realtimeFactor === null ? undefined : s.realtimeFactor > 0.8 ? RED : s.realtimeFactor > 0.5 ? YELLOW : undefined;
  return [
    { text: s.stage },
    { text: 'up', color: GREEN },
    { text: chunks },
    { text: s.chunkRatePerS === null ? '-' : s.chunkRatePerS.toFixed(1) },
    { text: queue },
    { text: dropReasons ? `${drops} (${dropReasons})` : String(drops), color: drops > 0 ? RED : undefined },
    { text: formatSeconds(s.timing?.p50S ?? null) },
    { text: formatSeconds(s.timing?.p99S ?? null) },
    { text: String(s.streamsActive ?? '-') },
    { text: formatBytes(s.rssBytes) },
    { text: model, color: rtfColor },
  ];
}

const STREAM_HEADER = ['STREAM', 'CAPTURE SENT', 'INFERENCE RECEIVED', 'PLAYBACK PLAYED', 'DROPS', 'MODEL P99', 'LATENCY P99'];

/** One line per stream any stage reports (per-stream metrics), columns right-aligned; none when there are no streams. */
function streamLines(snapshot: StatusSnapshot, color: boolean): string[] {
  const { capture, inference, playback } = snapshot.stages;
  const ids = new Set([capture, inference, playback].flatMap((s) => Object.keys(s.streams ?? {})));
  if (ids.size === 0) return [];
  const rows = [...ids].sort((a, b) => Number(a) - Number(b)).map((id) => {
    const [c, i, p] = [capture, inference, playback].map((s) => s.streams?.[id]);
    const drops = (c?.drops ?? 0) + (i?.drops ?? 0) + (p?.drops ?? 0);
    const cells: Cell[] = [
      { text: id },
      { text: c ? String(c.chunks) : '-' },
      { text: i ? String(i.chunks) : '-' },
      { text: p ? String(p.chunks) : '-' },
      { text: String(drops), color: drops > 0 ? RED : undefined },
      { text: formatSeconds(i?.p99S ?? null) },
      { text: formatSeconds(p?.p99S ?? null) },
    ];
    return cells;
  });
  const widths = STREAM_HEADER.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].text.length)));
  const line = (cells: Cell[]): string =>
    cells.map((c, k) => {
      const padded = k === 0 ? c.text.padEnd(widths[k]) : c.text.padStart(widths[k]);
      return color && c.color ? `${c.color}${padded}${RESET}` : padded;
    }).join('  ');
  const header = line(STREAM_HEADER.map((text) => ({ text })));
  const ledger = (snapshot.imbalances ?? []).map((l) => {
    const text = `ledger: stream ${l.stream} does not balance: ${l.imbalances.join('; ')}`;
    return color ? `${RED}${text}${RESET}` : text;
  });
  return ['', color ? `${BOLD}${header}${RESET}` : header, ...rows.map(line), 'Per stream since it started (a stream that ended stays 30 s): drops in all stages, model time, end-to-end latency.', ...ledger];
}

/**
 * The status table as text, one line per stage, columns aligned. With
 * `color`, a down stage and drops are red, a real-time factor over 0.5
 * amber and over 0.8 red. A down stage's row spans the table after STATE.
 */
export function formatStatus(snapshot: StatusSnapshot, options: { color: boolean; intervalMs?: number }): string {
  const rows = Object.values(snapshot.stages).map(row);
  // A down stage's last cell spans the rest of the line, so it does not widen a column.
  const widths = HEADER.map((h, i) =>
    Math.max(h.length, ...rows.filter((r) => r.length === HEADER.length || i < r.length - 1).map((r) => r[i].text.length)),
  );
  const paint = (c: Cell, text: string): string => (options.color && c.color ? `${c.color}${text}${RESET}` : text);
  const line = (cells: Cell[]): string =>
    cells
      .map((c, i) => {
        if (cells.length !== HEADER.length && i === cells.length - 1) return paint(c, c.text);
        const padded = RIGHT.has(i) ? c.text.padStart(widths[i]) : c.text.padEnd(widths[i]);
        return paint(c, padded);
      })
      .join('  ')
      .trimEnd();
  const every = options.intervalMs ? `, every ${(options.intervalMs / 1000).toFixed(1)} s, Ctrl-C to quit` : '';
  const title = `quell status  ${snapshot.time}${every}`;
  const header = line(HEADER.map((text) => ({ text })));
  const windows = new Set(Object.values(snapshot.stages).map((s) => s.timing?.window).filter((w) => w !== undefined));
  const scope = windows.has('since-start') ? 'since each stage started' : 'over the last interval';
  return [
    options.color ? `${BOLD}${title}${RESET}` : title,
    '',
    options.color ? `${BOLD}${header}${RESET}` : header,
    ...rows.map(line),
    ...deviceLines(snapshot, options.color),
    '',
    `P50/P99 ${scope}: capture chunk processing, inference model time, playback end-to-end latency.`,
    'QUEUE: send queue (capture, inference), jitter buffer depth/target (playback). RATE/S: chunks leaving the stage.',
    ...streamLines(snapshot, options.color),
  ].join('\n');
}

/** One line per stage that should have a device open and has none: what is wrong and what to do. */
function deviceLines(snapshot: StatusSnapshot, color: boolean): string[] {
  const fixes = {
    capture: { kind: 'input', fix: "'npx quell devices' lists them; set QUELL_CAPTURE_DEVICE (or QUELL_CAPTURE_PULSE_SOURCE, or the device entries of QUELL_CAPTURE_SOURCE), or QUELL_CAPTURE_SOURCE=synth|file" },
    playback: { kind: 'output', fix: "'npx quell devices' lists them; set QUELL_PLAYBACK_DEVICE (or PULSE_SINK, or QUELL_PLAYBACK_ROUTE), or QUELL_PLAYBACK_SINK=file|null" },
  } as const;
  const lines: string[] = [];
  for (const stage of ['capture', 'playback'] as const) {
    const s = snapshot.stages[stage];
    if (s?.deviceOpen !== false) continue;
    const { kind, fix } = fixes[stage];
    const missing = (s.devicesOpen ?? 0) > 0 ? `only ${s.devicesOpen} of ${s.devicesWanted} ${kind} devices are open` : `no ${kind} device is open`;
    const text = `${stage}: ${missing}: ${fix} (${s.deviceErrors ?? 0} failed opens so far, retrying)`;
    lines.push(color ? `${RED}${text}${RESET}` : text);
  }
  const playout = snapshot.stages.playback?.playout;
  if (playout) {
    lines.push(
      `playback device: playout level ${(playout.levelS * 1000).toFixed(1)} ms (target ${(playout.targetS * 1000).toFixed(1)} ms; the jitter-buffer part of it is in playback's P50/P99 above), and the device buffers of both sides come on top (packages/playback/README.md#latency)`,
    );
  }
  return lines.length > 0 ? ['', ...lines] : [];
}
