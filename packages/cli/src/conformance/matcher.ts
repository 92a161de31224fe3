/**
 * Matches a received value against a recorded pattern (conformance/README.md):
 * `"$any"` matches anything, `"$node"` the node id from the hello,
 * `{"$atLeast": n}` a number ≥ n, `{"$includes": p}` an array with an element
 * matching p; arrays match element by element, maps key by key (extra keys in
 * the value are fine), anything else by equality.
 */
export function matches(pattern: unknown, value: unknown, vars: Readonly<Record<string, unknown>>): boolean {
  if (typeof pattern === 'string' && pattern.startsWith('$')) return pattern === '$any' ? value !== undefined : value === vars[pattern.slice(1)];
  if (Array.isArray(pattern)) return Array.isArray(value) && value.length === pattern.length && pattern.every((p, i) => matches(p, value[i], vars));
  if (pattern !== null && typeof pattern === 'object') {
    const p = pattern as Record<string, unknown>;
    if ('$atLeast' in p) return typeof value === 'number' && value >= (p.$atLeast as number);
    if ('$includes' in p) return Array.isArray(value) && value.some((v) => matches(p.$includes, v, vars));
    if (value === null || typeof value !== 'object') return false;
    return Object.entries(p).every(([k, sub]) => matches(sub, (value as Record<string, unknown>)[k], vars));
  }
  return pattern === value;
}

/** `value` with every `"$name"` string replaced by `vars.name` (and keys whose value is undefined dropped). */
export function substitute(value: unknown, vars: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === 'string' && value.startsWith('$') && value.slice(1) in vars) return vars[value.slice(1)];
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = substitute(v, vars);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value;
}
