import type { Logger } from 'pino';

/** Placeholder replaced below once the readiness mechanism is settled. */
export async function reportReady(_subsystem: string, _log: Logger): Promise<void> {}
