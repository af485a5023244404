import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { ConfigInvalid } from '../shared/errors.js';
import type { DemoProviderConfig } from './demo-provider-config.js';

/** A node:https server when the config has TLS files, else node:http (tests only). It has no handler yet. */
export async function createDemoServer(tls: DemoProviderConfig['tls']): Promise<HttpServer | HttpsServer> {
  if (tls === undefined) return createHttpServer();
  const problems: string[] = [];
  const read = async (knob: string, path: string): Promise<Buffer> =>
    readFile(path).catch((error: unknown) => {
      problems.push(`${knob} = ${path}: ${(error as Error).message}`);
      return Buffer.alloc(0);
    });
  const [cert, key] = await Promise.all([read('DEMO_TLS_CERT', tls.certPath), read('DEMO_TLS_KEY', tls.keyPath)]);
  if (problems.length > 0) throw new ConfigInvalid(problems);
  try {
    return createHttpsServer({ cert, key });
  } catch (error) {
    throw new ConfigInvalid([`DEMO_TLS_CERT/DEMO_TLS_KEY: ${(error as Error).message}`]);
  }
}
