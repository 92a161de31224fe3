import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONTROL_REFUSALS } from '@quell/capture';
import { CONTROL_SCHEMA, FieldTypes, FRAME_HEADER_SCHEMA, FrameFlags, HANDOVER_SCHEMA, PROTOCOL_VERSION, REJECT_REASONS, STATUS_SCHEMAS, WireLimits, type MapSchema } from '@quell/protocol';
import { REPO_ROOT } from '../helpers/run.js';

/** docs/PROTOCOL.md as sections: heading text (backticks dropped) → the rows of its first table (cells trimmed, backticks dropped). */
function readSections(): Map<string, { rows: string[][]; text: string }> {
  const lines = readFileSync(join(REPO_ROOT, 'docs', 'PROTOCOL.md'), 'utf8').split('\n');
  const sections = new Map<string, { rows: string[][]; text: string }>();
  let current: { rows: string[][]; text: string; tableDone: boolean } | null = null;
  for (const line of lines) {
    const heading = /^#{2,4} (.+)$/.exec(line);
    if (heading) {
      current = { rows: [], text: '', tableDone: false };
      sections.set(heading[1].replaceAll('`', '').trim(), current);
      continue;
    }
    if (!current) continue;
    current.text += `${line}\n`;
    if (line.startsWith('|') && !current.tableDone) {
      const cells = line.split('|').slice(1, -1).map((c) => c.replaceAll('`', '').trim());
      if (cells.every((c) => /^-+$/.test(c))) continue;
      current.rows.push(cells);
    } else if (current.rows.length > 0) current.tableDone = true;
  }
  for (const s of sections.values()) s.rows.shift(); // the header row
  return sections;
}

const sections = readSections();

function rowsOf(title: string): string[][] {
  const section = sections.get(title);
  assert.ok(section, `docs/PROTOCOL.md has no section '${title}'`);
  return section.rows;
}

/** [field, type, presence] of every field of a schema, in the schema's order. */
function schemaRows(schema: MapSchema): string[][] {
  return Object.entries(schema).map(([field, spec]) => [field, spec.type.name, spec.optional ? 'optional' : 'required']);
}

describe('docs/PROTOCOL.md agrees with the code', () => {
  it('header fields: names, order, types, presence and reject reasons', () => {
    const expected = Object.entries(FRAME_HEADER_SCHEMA).map(([field, spec]) => [field, spec.type.name, 'optional' in spec ? 'optional' : 'required', spec.reject]);
    assert.deepEqual(rowsOf('Header fields').map((r) => r.slice(0, 4)), expected);
    assert.equal(rowsOf('Header fields')[0][1], String(PROTOCOL_VERSION));
  });

  it('the handover map, flags, limits and reject reasons', () => {
    assert.deepEqual(rowsOf('handover map').map((r) => r.slice(0, 3)), schemaRows(HANDOVER_SCHEMA));
    assert.deepEqual(rowsOf('Flags').map((r) => [r[0], Number(r[1])]), Object.entries(FrameFlags));
    assert.deepEqual(rowsOf('Limits').map((r) => [r[0], Number(r[1])]), Object.entries(WireLimits));
    assert.deepEqual(rowsOf('Reject reasons').map((r) => r[0]), [...REJECT_REASONS]);
  });

  it('every control message type has a section whose table lists exactly its fields', () => {
    const documented = [...sections.keys()].filter((title) => Object.hasOwn(CONTROL_SCHEMA, title));
    assert.deepEqual(documented.sort(), Object.keys(CONTROL_SCHEMA).sort(), 'one section per control message type');
    for (const [type, schema] of Object.entries(CONTROL_SCHEMA)) {
      const section = sections.get(type)!;
      if (Object.keys(schema).length === 0) {
        assert.equal(section.rows.length, 0, `${type} has no fields`);
        assert.match(section.text, /No fields/, `${type} says it has no fields`);
      } else assert.deepEqual(section.rows.map((r) => r.slice(0, 3)), schemaRows(schema), type);
    }
    assert.deepEqual(rowsOf('node status map').map((r) => r.slice(0, 3)), schemaRows(STATUS_SCHEMAS.nodeStatus));
    assert.deepEqual(rowsOf('stream route map').map((r) => r.slice(0, 3)), schemaRows(STATUS_SCHEMAS.streamRoute));
  });

  it("capture's control refusals and the number types", () => {
    assert.deepEqual(rowsOf('Control refusals').map((r) => r[0]), [...CONTROL_REFUSALS]);
    const typeNames = rowsOf('Numbers').map((r) => r[0]);
    for (const t of [FieldTypes.u32, FieldTypes.u53, FieldTypes.nonNegative, FieldTypes.nodeId, FieldTypes.text, FieldTypes.curveKey, FieldTypes.role]) assert.ok(typeNames.includes(t.name), t.name);
  });
});
