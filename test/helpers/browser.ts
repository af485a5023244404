/**
 * A real browser for consent pages: Debian's Chromium driven by playwright-core (no browser download). TLS stays
 * verified: Chromium is told to accept exactly the sandbox's and the demo provider's server keys (by SPKI hash),
 * which the sandbox CA issued; any other certificate still fails.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

function spkiHash(pem: string): string {
  return createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/** Launches Chromium trusting `serverCerts`, after checking that the sandbox CA (`caPem`) issued each of them. */
export async function launchBrowser(caPem: string, serverCerts: readonly string[]): Promise<Browser> {
  const ca = new X509Certificate(caPem);
  for (const pem of serverCerts) {
    const cert = new X509Certificate(pem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      throw new Error(`certificate ${cert.subject} was not issued by the sandbox CA`);
  }
  const trustedServerCerts = serverCerts;
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${trustedServerCerts.map(spkiHash).join(',')}`,
    ],
  });
}
