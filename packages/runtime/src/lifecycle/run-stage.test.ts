import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';

/** Runs a stage under runStage in a child process; `handle` is the body of the StageHandle it starts. */
async function runChild(handle: string, lifetimeMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const script = `import { runStage } from ${JSON.stringify(new URL('./run-stage.js', import.meta.url).href)};
await runStage('t', async () => ({ close: async () => undefined, ${handle} }));
setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), lifetimeMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stderr };
}

describe('runStage', () => {
  it('a stage whose essential loop failed exits 1 with one line naming the failure, so pm2 restarts it', async () => {
    const result = await runChild(`failed: new Promise((resolve) => setTimeout(() => resolve(new Error('the receive loop failed (boom)')), 100))`, 5000);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /quell t: the receive loop failed \(boom\)/);
  });

  it('a stage whose loops are fine keeps running (the control case)', async () => {
    const result = await runChild(`failed: new Promise(() => undefined)`, 1000);
    assert.equal(result.signal, 'SIGKILL');
  });
});
