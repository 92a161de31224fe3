import type { AudioDeviceInfo } from '@quell/runtime';

const HEADERS = ['ID', 'NAME', 'HOST API', 'IN', 'OUT', 'RATE HZ', 'DEFAULT'] as const;

/**
 * The table `quell devices` prints: one row per device, columns padded to fit, no trailing newline.
 * DEFAULT shows 'in', 'out' or 'in,out'. An empty list gives a one-line hint instead of an empty table.
 */
export function formatDeviceTable(devices: readonly AudioDeviceInfo[]): string {
  if (devices.length === 0) return 'no audio devices found (is PulseAudio running? see scripts/pulse-up.sh)';
  const rows = devices.map((d) => [
    String(d.id),
    d.name,
    d.hostApi,
    String(d.maxInputChannels),
    String(d.maxOutputChannels),
    String(d.defaultSampleRateHz),
    [d.isDefaultInput ? 'in' : '', d.isDefaultOutput ? 'out' : ''].filter(Boolean).join(','),
  ]);
  const widths = HEADERS.map((header, col) => Math.max(header.length, ...rows.map((row) => row[col].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd();
  return [line(HEADERS), ...rows.map(line)].join('\n');
}
