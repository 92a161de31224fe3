import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bool, ConfigError, endpoint, HelpRequested, list, num, oneOf, parseConfig } from './options.js';

const TABLE = {
  chunkMs: num(10, 'chunk', { min: 0.1 }),
  loop: bool(false, 'loop'),
  files: list([], 'files'),
  pace: oneOf(['realtime', 'fast'] as const, 'realtime', 'pace'),
  endpoint: endpoint('tcp://127.0.0.1:5555', 'endpoint'),
};

describe('parseConfig', () => {
  it('--help and -h list every flag with its env name, default and meaning instead of parsing', () => {
    for (const flag of ['--help', '-h']) {
      assert.throws(
        () => parseConfig(TABLE, 'QUELL_TOY', {}, ['--chunk-ms', 'abc', flag]),
        (err: unknown) => {
          assert.ok(err instanceof HelpRequested);
          for (const line of ['--chunk-ms <value>  (QUELL_TOY_CHUNK_MS, default 10)', '--loop  (QUELL_TOY_LOOP, default false)', '      pace']) assert.ok(err.text.includes(line), err.text);
          return true;
        },
      );
    }
  });

  it('takes defaults, then env, then flags', () => {
    assert.deepEqual(parseConfig(TABLE, 'Q', {}, []), { chunkMs: 10, loop: false, files: [], pace: 'realtime', endpoint: 'tcp://127.0.0.1:5555' });
    const c = parseConfig(TABLE, 'Q', { Q_CHUNK_MS: '20', Q_LOOP: 'true' }, ['--chunk-ms', '5', '--files', '["a,1.wav","b.wav"]', '--endpoint', 'tcp://127.0.0.1:*']);
    assert.equal(c.chunkMs, 5);
    assert.equal(c.loop, true);
    assert.deepEqual(c.files, ['a,1.wav', 'b.wav']);
    assert.equal(c.endpoint, 'tcp://127.0.0.1:*');
  });

  it('reports every problem at once in one line', () => {
    assert.throws(
      () => parseConfig(TABLE, 'Q', { Q_PACE: 'slow' }, ['--chunk-ms=-1', '--endpoint', 'localhost']),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'ERR_QUELL_CONFIG');
        assert.ok(!err.message.includes('\n'));
        for (const needle of ['--chunk-ms', '--pace', 'Q_PACE', '--endpoint']) assert.ok(err.message.includes(needle), needle);
        return true;
      },
    );
  });

  it('rejects unknown flags with the list of known ones', () => {
    assert.throws(() => parseConfig(TABLE, 'Q', {}, ['--chunkms', '5']), (err: unknown) => err instanceof ConfigError && err.message.includes('--chunk-ms'));
  });
});
