export {
  createLogger,
  createMemoryLogger,
  escapeLogText,
  formatLogLine,
  REDACT_PATHS,
  type LoggerOptions,
} from './create-logger.js';
export type { RotationPolicy } from './rotating-file.js';
