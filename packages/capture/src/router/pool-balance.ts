/** One serving node as the pool's placement sees it. */
export interface PoolMember {
  readonly id: string;
  /** Streams placed on it now, moves to it included. */
  readonly streams: number;
  /** Its last reported load (processing seconds per second), undefined before one. */
  readonly load: number | undefined;
  /** Streams it served when it reported that load. */
  readonly loadStreams: number;
}

/** Load one stream costs on `m`, as measured; undefined while it has reported no load with streams on it. */
function measuredCost(m: PoolMember): number | undefined {
  return m.load !== undefined && m.loadStreams > 0 && m.load > 0 ? m.load / m.loadStreams : undefined;
}

/**
 * The member a new stream goes to: the one whose load would be least with it
 * (streams × its measured cost per stream). A member that has not measured a
 * cost yet (no stream, or no heartbeat since) is counted at the mean cost of
 * the others, so a fast machine takes more streams than a slow one and a new
 * node is not flooded before its first report. Ties: fewer streams, then id.
 */
export function leastLoaded<T extends PoolMember>(members: Iterable<T>): T | null {
  const list = [...members];
  const costs = list.map(measuredCost);
  const known = costs.filter((c): c is number => c !== undefined);
  const meanCost = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  let best: T | null = null;
  let bestLoad = Infinity;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const loadWithIt = (m.streams + 1) * (costs[i] ?? meanCost);
    if (!best || loadWithIt < bestLoad || (loadWithIt === bestLoad && (m.streams < best.streams || (m.streams === best.streams && m.id < best.id)))) {
      best = m;
      bestLoad = loadWithIt;
    }
  }
  return best;
}

/**
 * How many streams to move to a member that just joined with `joinerStreams`,
 * from members holding `streams` each: one at a time from the fullest while it
 * holds at least two more than the joiner. Returns the donor id of each move,
 * in order (by stream count: a newcomer has no measured cost to weigh).
 */
export function rebalanceDonors(members: readonly { readonly id: string; readonly streams: number }[], joinerStreams: number): string[] {
  const counts = new Map(members.map((m) => [m.id, m.streams]));
  let joiner = joinerStreams;
  const donors: string[] = [];
  for (;;) {
    let fullest: string | null = null;
    for (const [id, n] of counts) if (fullest === null || n > counts.get(fullest)! || (n === counts.get(fullest)! && id < fullest)) fullest = id;
    if (fullest === null || counts.get(fullest)! - joiner < 2) return donors;
    counts.set(fullest, counts.get(fullest)! - 1);
    joiner++;
    donors.push(fullest);
  }
}
