/**
 * The client half of token-endpoint-tls.test.ts (not a test file itself): run in its own process, because
 * NODE_EXTRA_CA_CERTS is read only when a process starts. Refreshes at `url` twice in turn, then `parallel` at once,
 * and prints one JSON line: each outcome, an access token or the error's class and message.
 *
 *   node --import tsx tls-refresh-client.ts <url> <parallel>
 */
import { refreshAccessToken } from '../../src/oauth/index.js';

const [url = '', parallel = '1'] = process.argv.slice(2);
const CLIENT = { clientId: 'tls-client', clientSecret: 'cs-TLS-SECRET-0123' };

async function once(i: number): Promise<Record<string, string>> {
  try {
    const answer = await refreshAccessToken(url, `rt-TLS-SECRET-${i}`, CLIENT, { timeoutMs: 5000 });
    return { accessToken: answer.accessToken };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

const results = [await once(0), await once(1)];
results.push(...(await Promise.all(Array.from({ length: Number(parallel) }, (_, i) => once(2 + i)))));
process.stdout.write(`${JSON.stringify(results)}\n`);
