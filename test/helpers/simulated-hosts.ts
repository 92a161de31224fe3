// Simulated machines on one Linux box: a network namespace per host, each on
// its own veth pair to a router namespace, which also links to the root
// namespace (so the test can scrape every host's metrics). Traffic from the
// other hosts to the server host's relayed ports goes through a delay relay in
// the router (2 ms ± 1 ms each way, as `tc netem delay 2ms 1ms` would add;
// this kernel has no netem), and the router drops a fraction of every TCP
// packet to or from those hosts (nft numgen: real loss, repaired by TCP
// retransmission). Needs root, iproute2 and nftables.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export interface SimulatedHostsOptions {
  /** Host names, the first one the server (whose relayed ports the others reach through the relay). */
  hosts: string[];
  /** Ports of the server the other hosts reach through the relay (bound on its address). */
  relayedPorts: number[];
  delayMs: number;
  jitterMs: number;
  /** Packets dropped per thousand, each way, on the links of the hosts other than the server. */
  lossPermille: number;
}

const RELAY_SCRIPT = fileURLToPath(new URL('./delay-relay.js', import.meta.url));
const RELAY_PORT_OFFSET = 10_000;

async function sh(command: string, args: string[]): Promise<void> {
  const r = await run(command, args, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

/**
 * Removes what runs killed before their clean-up left (every quell-* namespace and q*h0 link): two sets of
 * hosts share the 10.77/16 addresses, so a leftover one would take this run's traffic. One test file runs at a time.
 */
async function removeStale(): Promise<void> {
  const namespaces = (await run('ip', ['netns', 'list'], { timeoutMs: 10_000 })).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => /^quell-\d+-/.test(n));
  for (const ns of namespaces) await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
  const links = (await run('ip', ['-br', 'link'], { timeoutMs: 10_000 })).stdout.split('\n').map((l) => l.split(/[\s@]/)[0]).filter((n) => /^q\d+h0$/.test(n));
  for (const link of links) await run('ip', ['link', 'del', link], { timeoutMs: 10_000 });
}

export class SimulatedHosts {
  readonly #tag: string;
  readonly #hosts: string[];
  #relay: ChildProcess | null = null;

  private constructor(tag: string, hosts: string[]) {
    this.#tag = tag;
    this.#hosts = hosts;
  }

  /** The host's network namespace. */
  netns(host: string): string {
    return `quell-${this.#tag}-${host}`;
  }

  /** The host's address: 10.77.<i>.2, i from 1 in the order given. */
  address(host: string): string {
    const i = this.#hosts.indexOf(host);
    if (i < 0) throw new Error(`no simulated host '${host}'`);
    return `10.77.${i + 1}.2`;
  }

  /** Command prefix that runs a program on the host. */
  launcher(host: string): string[] {
    return ['ip', 'netns', 'exec', this.netns(host)];
  }

  get #router(): string {
    return `quell-${this.#tag}-router`;
  }

  static async create(o: SimulatedHostsOptions): Promise<SimulatedHosts> {
    const tag = String(process.pid % 100_000);
    const net = new SimulatedHosts(tag, o.hosts);
    await removeStale();
    try {
      await net.#build(o);
    } catch (err) {
      await net.close();
      throw err;
    }
    return net;
  }

  async #build(o: SimulatedHostsOptions): Promise<void> {
    const t = this.#tag;
    const router = this.#router;
    const inRouter = (...args: string[]): Promise<void> => sh('ip', ['netns', 'exec', router, ...args]);
    await sh('ip', ['netns', 'add', router]);
    await inRouter('ip', 'link', 'set', 'lo', 'up');
    await inRouter('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    // The root namespace's link to the router: 10.77.0.1 here, 10.77.0.2 there.
    await sh('ip', ['link', 'add', `q${t}h0`, 'type', 'veth', 'peer', 'name', `q${t}r0`]);
    await sh('ip', ['link', 'set', `q${t}r0`, 'netns', router]);
    await sh('ip', ['addr', 'add', '10.77.0.1/24', 'dev', `q${t}h0`]);
    await sh('ip', ['link', 'set', `q${t}h0`, 'up']);
    await inRouter('ip', 'addr', 'add', '10.77.0.2/24', 'dev', `q${t}r0`);
    await inRouter('ip', 'link', 'set', `q${t}r0`, 'up');
    await sh('ip', ['route', 'replace', '10.77.0.0/16', 'via', '10.77.0.2']);
    for (const [i, host] of o.hosts.entries()) {
      const ns = this.netns(host);
      const n = i + 1;
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      await sh('ip', ['link', 'add', `q${t}h${n}`, 'type', 'veth', 'peer', 'name', `q${t}r${n}`]);
      await sh('ip', ['link', 'set', `q${t}h${n}`, 'netns', ns]);
      await sh('ip', ['link', 'set', `q${t}r${n}`, 'netns', router]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `10.77.${n}.2/24`, 'dev', `q${t}h${n}`]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', `q${t}h${n}`, 'up']);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', `10.77.${n}.1`]);
      await inRouter('ip', 'addr', 'add', `10.77.${n}.1/24`, 'dev', `q${t}r${n}`);
      await inRouter('ip', 'link', 'set', `q${t}r${n}`, 'up');
    }
    const server = this.address(o.hosts[0]);
    const clientLinks = o.hosts.slice(1).map((_, i) => `"q${t}r${i + 2}"`).join(', ');
    const redirects = o.relayedPorts.map((p) => `    ip daddr ${server} tcp dport ${p} redirect to :${p + RELAY_PORT_OFFSET}`).join('\n');
    const ruleset = [
      'table ip quell_sim {',
      '  chain pre_nat {',
      '    type nat hook prerouting priority dstnat;',
      redirects,
      '  }',
      '  chain loss_in {',
      '    type filter hook prerouting priority raw;',
      `    iifname { ${clientLinks} } meta l4proto tcp numgen random mod 1000 < ${o.lossPermille} drop`,
      '  }',
      // Before conntrack (raw) on both hooks: a packet conntrack had seen and the rule then dropped would leave the
      // NAT's view of the connection ahead of the peers', and its retransmission is refused as invalid (a link stuck for good).
      '  chain loss_out {',
      '    type filter hook output priority raw;',
      `    oifname { ${clientLinks} } meta l4proto tcp numgen random mod 1000 < ${o.lossPermille} drop`,
      '  }',
      '}',
    ].join('\n');
    const nft = spawn('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let nftError = '';
    nft.stderr.on('data', (d: Buffer) => (nftError += d.toString()));
    nft.stdin.end(ruleset);
    const nftCode = await new Promise<number | null>((resolve) => nft.once('close', resolve));
    if (nftCode !== 0) throw new Error(`nft failed (${nftCode}): ${nftError.trim()} (install nftables)`);
    const relay = spawn('ip', ['netns', 'exec', router, process.execPath, RELAY_SCRIPT, JSON.stringify({ delayMs: o.delayMs, jitterMs: o.jitterMs, routes: o.relayedPorts.map((p) => ({ listenPort: p + RELAY_PORT_OFFSET, targetHost: server, targetPort: p })) })], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#relay = relay;
    await new Promise<void>((resolve, reject) => {
      relay.stdout!.once('data', () => resolve());
      relay.once('exit', (code) => reject(new Error(`the delay relay exited (${code})`)));
    });
  }

  /** Stops the relay and removes every namespace and link (also those a crashed run of this process id left). */
  async close(): Promise<void> {
    this.#relay?.kill('SIGKILL');
    this.#relay = null;
    for (const ns of [this.#router, ...this.#hosts.map((h) => this.netns(h))]) await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    await run('ip', ['link', 'del', `q${this.#tag}h0`], { timeoutMs: 10_000 });
  }
}
