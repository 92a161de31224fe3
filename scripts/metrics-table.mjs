#!/usr/bin/env node
// Prints every Quell metric as a markdown table (name, type, labels, help),
// from the built METRICS table (packages/protocol/dist/index.js; run
// `npx tsc -b` first). With `--write FILE`, replaces the table between the
// `<!-- metrics-table:begin -->` and `<!-- metrics-table:end -->` markers in
// FILE instead (docs/METRICS.md).
import { readFile, writeFile } from 'node:fs/promises';

const BEGIN = '<!-- metrics-table:begin -->';
const END = '<!-- metrics-table:end -->';

let METRICS;
try {
  ({ METRICS } = await import(new URL('../packages/protocol/dist/index.js', import.meta.url).href));
} catch (err) {
  console.error(`metrics-table: cannot load packages/protocol/dist/index.js (${err.message}): run \`npx tsc -b\` first`);
  process.exit(1);
}

/** Markdown table cell: pipes escaped, no line breaks. */
const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

function metricsTable(metrics) {
  const lines = ['| Name | Type | Labels | Help |', '| --- | --- | --- | --- |'];
  for (const [name, spec] of Object.entries(metrics)) {
    const labels = spec.labels.length > 0 ? spec.labels.map((l) => `\`${l}\``).join(', ') : '';
    lines.push(`| \`${name}\` | ${spec.type} | ${labels} | ${cell(spec.help)} |`);
  }
  return lines.join('\n');
}

const table = metricsTable(METRICS);
const at = process.argv.indexOf('--write');
if (at < 0) {
  process.stdout.write(`${table}\n`);
} else {
  const file = process.argv[at + 1];
  if (!file) {
    console.error('metrics-table: --write needs a file');
    process.exit(2);
  }
  const text = await readFile(file, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) {
    console.error(`metrics-table: ${file} has no ${BEGIN} ... ${END} markers`);
    process.exit(2);
  }
  await writeFile(file, `${text.slice(0, begin + BEGIN.length)}\n${table}\n${text.slice(end)}`);
  process.stderr.write(`metrics-table: wrote ${Object.keys(METRICS).length} metrics to ${file}\n`);
}
