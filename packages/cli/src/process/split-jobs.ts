/**
 * Splits inputs of these lengths (any unit) into `jobCount` groups of about
 * equal total length: longest first, each to the group with the least so far
 * (of two with as much, the one with fewer inputs).
 * Returns each group's input indices in ascending order; no group is empty
 * when there are at least `jobCount` inputs.
 */
export function splitJobs(lengths: number[], jobCount: number): number[][] {
  const groups: number[][] = Array.from({ length: Math.max(1, Math.min(jobCount, lengths.length)) }, () => []);
  const totals = new Float64Array(groups.length);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  for (const i of order) {
    let least = 0;
    for (let g = 1; g < groups.length; g++) if (totals[g] < totals[least] || (totals[g] === totals[least] && groups[g].length < groups[least].length)) least = g;
    groups[least].push(i);
    totals[least] += lengths[i];
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups;
}
