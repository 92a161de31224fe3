// An outsider's attack on a running pipeline, run as its own process (as
// another Unix user, or as this user without Quell's key). It imports only
// zeromq, so it runs from a copy of that one package: everything it sends is
// encoded by the parent. For each mechanism an outsider has (ZeroMQ's plain
// NULL, and CURVE with a key pair of its own against capture's public key) it
//  - asks capture's control socket for status, says hello, warmed and
//    progress (to be promoted), and counts every answer;
//  - connects a PULL to each of capture's per-node data ports and counts the
//    chunks it gets;
//  - pushes valid frames of its own stream to playback and counts what the
//    socket queued;
// then prints one JSON line with the counts.
import { setTimeout as sleep } from 'node:timers/promises';
import * as zmq from 'zeromq';

export interface IntruderPlan {
  control: string;
  /** Capture's public key (public knowledge: an outsider may know it). */
  serverKey: string;
  dataEndpoints: string[];
  playback: string;
  /** Control messages to send on each tick, MessagePack, base64. */
  controlMessages: string[];
  /** One data frame (header, samples), base64. */
  frame: [string, string];
  durationMs: number;
}

export interface IntruderReport {
  controlReplies: Record<string, number>;
  dataChunks: Record<string, number>;
  framesQueued: Record<string, number>;
}

async function countMessages(socket: zmq.Readable, key: string, into: Record<string, number>): Promise<void> {
  into[key] = 0;
  try {
    for await (const _ of socket) into[key]++;
  } catch {
    // Closed.
  }
}

const plan = JSON.parse(process.argv[2]) as IntruderPlan;
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const own = zmq.curveKeyPair();
const mechanisms: Record<string, object> = {
  null: {},
  curve: { curvePublicKey: own.publicKey, curveSecretKey: own.secretKey, curveServerKey: plan.serverKey },
};
const report: IntruderReport = { controlReplies: {}, dataChunks: {}, framesQueued: {} };
const sockets: zmq.Socket[] = [];
const senders: { name: string; dealer: zmq.Dealer; push: zmq.Push }[] = [];
for (const [name, options] of Object.entries(mechanisms)) {
  const dealer = new zmq.Dealer({ linger: 0, sendTimeout: 0, ...options });
  dealer.connect(plan.control);
  void countMessages(dealer, name, report.controlReplies);
  for (const endpoint of plan.dataEndpoints) {
    const pull = new zmq.Pull({ linger: 0, ...options });
    pull.connect(endpoint);
    sockets.push(pull);
    void countMessages(pull, `${name} ${endpoint}`, report.dataChunks);
  }
  const push = new zmq.Push({ linger: 0, sendTimeout: 0, ...options });
  push.connect(plan.playback);
  report.framesQueued[name] = 0;
  sockets.push(dealer, push);
  senders.push({ name, dealer, push });
}
const frame = plan.frame.map(b64);
const messages = plan.controlMessages.map(b64);
for (const end = Date.now() + plan.durationMs; Date.now() < end; ) {
  for (const { name, dealer, push } of senders) {
    for (const m of messages) await dealer.send(m).catch(() => undefined);
    for (let i = 0; i < 10; i++) {
      try {
        await push.send(frame);
        report.framesQueued[name]++;
      } catch {
        // EAGAIN: no connection took it.
      }
    }
  }
  await sleep(100);
}
for (const s of sockets) s.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
