/** One case or step of a conformance suite and how it went. */
export interface CaseResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** One line per result and a last line with the totals. */
export function formatResults(suite: string, results: readonly CaseResult[]): string {
  const lines = results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(`${suite}: ${results.length - failed} of ${results.length} passed`);
  return lines.join('\n');
}
