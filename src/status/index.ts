export { formatStatusFile, parseStatusFile, type CredentialStatus, type StatusFile } from './status-file.js';
export { statusOf, type StatusInput } from './status-of.js';
export { StatusWriter, type StatusWriterOptions } from './status-writer.js';
export { formatDuration, formatStatusTable, isStale, sortForAttention } from './status-report.js';
