/** Resolves once `counter()` has not moved for `quietMs`, or after `maxMs`. */
export async function quiet(counter: () => number, quietMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = counter();
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = counter();
    if (now === last) return;
    last = now;
  }
}
