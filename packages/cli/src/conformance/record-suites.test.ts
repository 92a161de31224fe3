import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeFrame } from '@quell/protocol';
import { CONFORMANCE_DIR } from './load-suite.js';
import { frameReceiverSuite, recordSuites } from './record-suites.js';
import { samplesOf } from './frame-io.js';

describe('recorded conformance suites', () => {
  it('conformance/*.json are what record-suites.ts records (run scripts/record-conformance.mjs after changing it)', async () => {
    for (const [file, suite] of Object.entries(recordSuites())) {
      const committed = JSON.parse(await readFile(join(CONFORMANCE_DIR, file), 'utf8')) as unknown;
      assert.deepEqual(committed, JSON.parse(JSON.stringify(suite)), file);
    }
  });

  it("each frame case's expectation is what Quell's own decoder says", () => {
    for (const c of frameReceiverSuite().cases) {
      const parts = [Buffer.from(c.header, 'hex'), ...(c.samples ? [samplesOf(c.samples)] : []), ...(c.extraParts ?? []).map((p) => Buffer.from(p, 'hex'))];
      const decoded = decodeFrame(parts);
      if ('accept' in c.expect) assert.equal(decoded.ok, true, c.name);
      else {
        assert.equal(decoded.ok, false, c.name);
        if (!decoded.ok) {
          assert.equal(decoded.reason, c.expect.reject, c.name);
          assert.equal(decoded.field ?? undefined, c.expect.field, c.name);
        }
      }
    }
  });
});
