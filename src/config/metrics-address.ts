/**
 * Where a daemon serves its Prometheus metrics: `<NAME>_METRICS_ADDRESS = host:port` (ours; upstream exports none).
 * Unset or empty: no listener (the default outside the sandbox, which sets it). `host` is an IPv4 address, a name,
 * or an IPv6 address in brackets; `127.0.0.1:9464` keeps the figures on the machine.
 */
export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The address in `raw`, or undefined when unset; a malformed one is a problem naming `knob`. */
export function parseMetricsAddress(
  knob: string,
  raw: string | undefined,
  problems: string[],
): MetricsAddress | undefined {
  const value = (raw ?? '').trim();
  if (value === '') return undefined;
  const match = ADDRESS.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`${knob} = ${value}: expected host:port (such as 127.0.0.1:9464 or [::1]:9464)`);
    return undefined;
  }
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return Object.freeze({ host, port });
}
