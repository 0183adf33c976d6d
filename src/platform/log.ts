/**
 * @module platform/log
 * Structured logging (pino) with redaction as a second line of defence: the code never logs a
 * token, secret or API key on purpose, and these paths are censored in case one slips into a
 * logged object. test/security/no-secrets-in-logs.test.ts checks the whole suite's log output.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'clientSecret',
  'nextClientSecret',
  'client_secret',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.nextClientSecret',
  '*.client_secret',
  '*.apiKey',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(options.name ? { name: options.name } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
