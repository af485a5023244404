export { KeyCommandRefused, USAGE, parseKeyCommand, runKeyCommand, type KeyCommand } from './key-command.js';
export { formatStatus, statusOf, type ProviderStatus } from './format-key-report.js';
