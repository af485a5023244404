export { createLogger, createMemoryLogger, formatLogLine, REDACT_PATHS, type LoggerOptions } from './create-logger.js';
