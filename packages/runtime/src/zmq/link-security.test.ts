import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { LINK_SECURITY_OPTIONS, type LinkSecurityConfig } from '../config/link-security.js';
import { ConfigError, parseConfig } from '../config/options.js';
import { formatKeyPairFile, formatPublicKeyFile, isCurveKey, type CurveKeyPair, parseKeyPairFile, parsePublicKeyList, z85Decode, z85Encode } from './curve-keys.js';
import { isLoopbackEndpoint } from './endpoint-scope.js';
import { createLinkSecurity } from './link-security.js';
import { createPullSocket, createPushSocket } from './sockets.js';
import { zapRejections } from './zap-handler.js';

const DEFAULTS: LinkSecurityConfig = parseConfig(LINK_SECURITY_OPTIONS, 'T', {}, []);
/** Local auth off: plaintext on loopback, as before CURVE was on by default. */
const OFF: LinkSecurityConfig = { ...DEFAULTS, localAuth: 'off' };

describe('curve keys', () => {
  it('z85Encode() matches the RFC 32 test vector and round-trips libzmq keys', () => {
    assert.equal(z85Encode(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
    const pair = zmq.curveKeyPair();
    assert.equal(z85Decode(pair.publicKey)!.length, 32);
    assert.equal(z85Encode(z85Decode(pair.secretKey)!), pair.secretKey);
    assert.equal(isCurveKey(pair.publicKey), true);
    assert.equal(isCurveKey(pair.publicKey.slice(1)), false);
    assert.equal(z85Decode('#####'), null, 'overflow');
  });

  it('key files round-trip; a list ignores comments and blank lines and rejects junk', () => {
    const pair = zmq.curveKeyPair();
    assert.deepEqual(parseKeyPairFile(formatKeyPairFile(pair, 'x'), 'x.key'), pair);
    const other = zmq.curveKeyPair();
    const list = `${formatPublicKeyFile(pair, 'a')}\n  # a comment\n\n${formatPublicKeyFile(other, 'b')}`;
    assert.deepEqual(parsePublicKeyList(list, 'allowed'), [pair.publicKey, other.publicKey]);
    assert.throws(() => parsePublicKeyList('not-a-key\n', 'allowed'), ConfigError);
    assert.throws(() => parseKeyPairFile(`public-key = ${pair.publicKey}\n`, 'x.key'), ConfigError);
  });
});

describe('isLoopbackEndpoint', () => {
  for (const e of ['tcp://127.0.0.1:5555', 'tcp://127.1.2.3:*', 'tcp://localhost:1', 'tcp://[::1]:5', 'tcp://lo:5', 'ipc:///tmp/x', 'inproc://x', 'tcp://127.0.0.1:0;127.0.0.1:5']) {
    it(`is true for ${e}`, () => assert.equal(isLoopbackEndpoint(e), true));
  }
  for (const e of ['tcp://0.0.0.0:5555', 'tcp://*:5555', 'tcp://eth0:5', 'tcp://10.0.0.1:5', 'tcp://[::]:5', 'tcp://127.0.0.1.evil.com:5', 'tcp://10.0.0.2:0;127.0.0.1:5', 'udp://127.0.0.1:5']) {
    it(`is false for ${e}`, () => assert.equal(isLoopbackEndpoint(e), false));
  }
});

async function keyFiles(): Promise<{ dir: string; server: CurveKeyPair; client: CurveKeyPair; files: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'quell-curve-'));
  const server = zmq.curveKeyPair();
  const client = zmq.curveKeyPair();
  const files = { server: join(dir, 'server.key'), client: join(dir, 'client.key'), allowed: join(dir, 'allowed'), serverPub: join(dir, 'server.pub') };
  await writeFile(files.server, formatKeyPairFile(server, 'server'));
  await writeFile(files.client, formatKeyPairFile(client, 'client'));
  await writeFile(files.allowed, formatPublicKeyFile(client, 'client'));
  await writeFile(files.serverPub, formatPublicKeyFile(server, 'server'));
  return { dir, server, client, files };
}

describe('createLinkSecurity', () => {
  it('without CURVE refuses a non-loopback bind or connect with ConfigError, unless insecureAllowRemote', async () => {
    for (const link of [{ endpoint: 'tcp://0.0.0.0:*', mode: 'bind' as const }, { endpoint: 'tcp://10.1.2.3:5555', mode: 'connect' as const }]) {
      await assert.rejects(createLinkSecurity(OFF, 't', [link]), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_QUELL_CONFIG');
      const allowed = await createLinkSecurity({ ...OFF, insecureAllowRemote: true }, 't', [link]);
      assert.deepEqual(allowed.curve, [undefined]);
    }
    const local = await createLinkSecurity(OFF, 't', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }]);
    assert.equal(local.enabled, false);
    // By default the non-loopback rule is the same: local keys are for this machine only.
    await assert.rejects(createLinkSecurity(DEFAULTS, 't', [{ endpoint: 'tcp://0.0.0.0:*', mode: 'bind' }]), ConfigError);
  });

  it('by default, loopback links use the local key: a stage with it connects, a stranger and a plaintext peer are refused and counted', async () => {
    const config = { ...DEFAULTS, linkKeyDir: await mkdtemp(join(tmpdir(), 'quell-local-')) };
    const serverSide = await createLinkSecurity(config, 'server', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }]);
    const clientSide = await createLinkSecurity(config, 'client', [{ endpoint: 'tcp://127.0.0.1:1', mode: 'connect' }]);
    assert.equal(serverSide.mode, 'local');
    assert.equal(clientSide.enabled, true);
    const pull = createPullSocket({ highWaterMarkChunks: 10, curve: serverSide.curve[0] });
    await pull.bind('tcp://127.0.0.1:*');
    const serverKey = (clientSide.curve[0] as { serverKey: string }).serverKey;
    const good = createPushSocket({ highWaterMarkChunks: 10, curve: clientSide.curve[0] });
    const stranger = createPushSocket({ highWaterMarkChunks: 10, curve: { role: 'client', ...zmq.curveKeyPair(), serverKey } });
    const plain = createPushSocket({ highWaterMarkChunks: 10 });
    stranger.sendTimeout = 0;
    plain.sendTimeout = 0;
    const before = zapRejections();
    try {
      for (const s of [good, stranger, plain]) s.connect(pull.lastEndpoint!);
      await good.send('hello');
      assert.equal((await pull.receive())[0].toString(), 'hello');
      await sleep(300);
      await assert.rejects(stranger.send('x'), (err: { code?: string }) => err.code === 'EAGAIN');
      await assert.rejects(plain.send('x'), (err: { code?: string }) => err.code === 'EAGAIN');
      assert.ok(zapRejections() > before, 'rejection counted');
    } finally {
      for (const s of [good, stranger, plain, pull]) s.close();
      await serverSide.close();
      await clientSide.close();
    }
  });

  it("a dedicated server admits only its own client keys, and a fresh client's key is new each time", async () => {
    const config = { ...DEFAULTS, linkKeyDir: await mkdtemp(join(tmpdir(), 'quell-local-')) };
    const serverSide = await createLinkSecurity(config, 'server', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }]);
    const clientSide = await createLinkSecurity(config, 'client', [{ endpoint: 'tcp://127.0.0.1:1', mode: 'connect' }]);
    const node = clientSide.freshClient(0)!;
    assert.notEqual((node as { publicKey: string }).publicKey, (clientSide.freshClient(0) as { publicKey: string }).publicKey);
    const dedicated = (await serverSide.dedicatedServer([(node as { publicKey: string }).publicKey]))!;
    const push = createPushSocket({ highWaterMarkChunks: 10, curve: dedicated.curve });
    await push.bind('tcp://127.0.0.1:*');
    push.sendTimeout = 500;
    const insider = createPullSocket({ highWaterMarkChunks: 10, curve: clientSide.curve[0] });
    const owner = createPullSocket({ highWaterMarkChunks: 10, curve: node });
    insider.receiveTimeout = 300;
    try {
      insider.connect(push.lastEndpoint!);
      await sleep(200);
      owner.connect(push.lastEndpoint!);
      for (let i = 0; i < 10; i++) await push.send(String(i));
      for (let i = 0; i < 10; i++) assert.equal((await owner.receive())[0].toString(), String(i));
      await assert.rejects(insider.receive(), (err: { code?: string }) => err.code === 'EAGAIN');
    } finally {
      for (const s of [push, insider, owner]) s.close();
      await dedicated.close();
      await serverSide.close();
      await clientSide.close();
    }
  });

  it('rejects CURVE options without a key file, a bind without allow-list and a connect without server key', async () => {
    const { files } = await keyFiles();
    await assert.rejects(createLinkSecurity({ ...OFF, curveAllowedKeys: files.allowed }, 't', []), ConfigError);
    await assert.rejects(createLinkSecurity({ ...OFF, curveKeyFile: files.server }, 't', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }]), ConfigError);
    await assert.rejects(createLinkSecurity({ ...OFF, curveKeyFile: files.client }, 't', [{ endpoint: 'tcp://127.0.0.1:1', mode: 'connect' }]), ConfigError);
    await assert.rejects(createLinkSecurity({ ...OFF, curveKeyFile: files.allowed }, 't', []), ConfigError);
  });

  it('reads --curve-server-key from a file even when its path is 40 characters, which is also valid Z85', async () => {
    const { server, files } = await keyFiles();
    // mkdtemp adds 6 characters: pad the folder so the whole path is exactly 40.
    const dir = await mkdtemp(join(tmpdir(), 'q'));
    const pub = join(dir, `${'k'.repeat(40 - dir.length - 5)}.pub`);
    assert.equal(pub.length, 40);
    assert.equal(isCurveKey(pub), true, 'the path is valid Z85: the case under test');
    await writeFile(pub, await readFile(files.serverPub));
    const clientSide = await createLinkSecurity({ ...OFF, curveKeyFile: files.client, curveServerKey: [pub] }, 'test', [{ endpoint: 'tcp://127.0.0.1:1', mode: 'connect' }]);
    assert.equal(clientSide.curve[0]?.role === 'client' && clientSide.curve[0].serverKey, server.publicKey);
    await clientSide.close();
  });

  it('with CURVE, an allowed client delivers and an unknown client is rejected by the ZAP handler and counted', async () => {
    const { server, files } = await keyFiles();
    const serverSide = await createLinkSecurity({ ...OFF, curveKeyFile: files.server, curveAllowedKeys: files.allowed }, 'test', [{ endpoint: 'tcp://0.0.0.0:*', mode: 'bind' }]);
    const clientSide = await createLinkSecurity({ ...OFF, curveKeyFile: files.client, curveServerKey: [files.serverPub] }, 'test', [{ endpoint: 'tcp://127.0.0.1:1', mode: 'connect' }]);
    assert.equal(clientSide.curve[0]?.role === 'client' && clientSide.curve[0].serverKey, server.publicKey);
    const pull = createPullSocket({ highWaterMarkChunks: 10, curve: serverSide.curve[0] });
    await pull.bind('tcp://127.0.0.1:*');
    const good = createPushSocket({ highWaterMarkChunks: 10, curve: clientSide.curve[0] });
    const rogue = createPushSocket({ highWaterMarkChunks: 10, curve: { role: 'client', ...zmq.curveKeyPair(), serverKey: server.publicKey } });
    const plain = createPushSocket({ highWaterMarkChunks: 10 });
    rogue.sendTimeout = 0;
    plain.sendTimeout = 0;
    const before = zapRejections();
    try {
      for (const s of [good, rogue, plain]) s.connect(pull.lastEndpoint!);
      await good.send('hello');
      assert.equal((await pull.receive())[0].toString(), 'hello');
      await sleep(300);
      // `immediate` keeps messages off connections whose handshake failed, so a send cannot even be queued.
      await assert.rejects(rogue.send('rogue'), (err: { code?: string }) => err.code === 'EAGAIN');
      await assert.rejects(plain.send('plain'), (err: { code?: string }) => err.code === 'EAGAIN');
      assert.ok(zapRejections() > before, 'rejection counted');
      pull.receiveTimeout = 200;
      await assert.rejects(pull.receive(), (err: { code?: string }) => err.code === 'EAGAIN');
    } finally {
      for (const s of [good, rogue, plain, pull]) s.close();
      await serverSide.close();
      await serverSide.close();
      await clientSide.close();
    }
  });
});
