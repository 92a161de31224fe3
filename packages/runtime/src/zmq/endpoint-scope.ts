/**
 * Whether traffic on a ZeroMQ endpoint stays on this machine: `ipc://` and
 * `inproc://` always do; `tcp://` only when the host is a loopback address
 * (127.0.0.0/8, ::1, `localhost`) or the loopback interface `lo`. Anything
 * else, wildcards (`*`, `0.0.0.0`, `::`), other interface names and
 * `src;dst` pairs with a non-loopback half included, counts as remote, so
 * the answer errs towards asking for CURVE.
 */
export function isLoopbackEndpoint(endpoint: string): boolean {
  if (endpoint.startsWith('ipc://') || endpoint.startsWith('inproc://')) return true;
  const match = /^tcp:\/\/(.+):(\d+|\*)$/.exec(endpoint);
  if (!match) return false;
  // `tcp://src:port;dst:port`: the regex took the destination port; a source keeps its own.
  const hosts = match[1].split(';');
  return hosts.every((host, i) => isLoopbackHost(i < hosts.length - 1 ? host.replace(/:(\d+|\*)$/, '') : host));
}

function isLoopbackHost(rawHost: string): boolean {
  const host = rawHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === 'lo' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}
