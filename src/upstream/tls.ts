/**
 * @module upstream/tls
 * The carrier host's TLS certificate as the probe met it: an undici connector that reads the
 * peer certificate of every connection it opens (so the probe's own call reports the expiry of
 * the certificate it was actually served), and a bare TLS handshake for when that call never got
 * a connection through (a certificate that fails verification, a probe that stopped earlier).
 */
import { isIP } from 'node:net';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';

import { buildConnector } from 'undici';

export interface CertificateInfo {
  host: string;
  /** ISO time of the certificate's `notAfter`. */
  validTo: string;
  /** Whole days until then, negative once expired. */
  daysLeft: number;
}

/** Extra trust for carrier hosts (a private CA, a test's self-signed certificate); replaces the defaults when given. */
export type ProbeCa = string | Buffer | (string | Buffer)[];

const DAY_MS = 24 * 3600 * 1000;

export function certificateInfo(
  host: string,
  certificate: PeerCertificate,
  now: number,
): CertificateInfo | null {
  const validTo = Date.parse(certificate.valid_to ?? '');
  if (Number.isNaN(validTo)) return null;
  return { host, validTo: new Date(validTo).toISOString(), daysLeft: Math.floor((validTo - now) / DAY_MS) };
}

/** undici's own connector, with `seen` called with the peer certificate of each TLS connection. */
export function certificateConnector(
  ca: ProbeCa | undefined,
  seen: (host: string, certificate: PeerCertificate) => void,
): buildConnector.connector {
  const base = buildConnector(ca === undefined ? {} : { ca });
  return (options, callback) =>
    base(options, (...args) => {
      const socket = args[1] as TLSSocket | null | undefined;
      // undici calls back on 'secureConnect' for https: the handshake is done, the certificate known.
      if (args[0] === null && typeof socket?.getPeerCertificate === 'function') {
        const certificate = socket.getPeerCertificate();
        if (certificate?.valid_to) seen(options.hostname, certificate);
      }
      callback(...args);
    });
}

/**
 * One TLS handshake with `url`'s host, verification off (an expired or untrusted certificate is
 * exactly what must be reported), nothing sent. Null when no handshake completes in time.
 */
export function readCertificate(
  url: URL,
  options: { ca?: ProbeCa; timeoutMs: number },
): Promise<PeerCertificate | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      // SNI takes names only (RFC 6066 3).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    const done = (certificate: PeerCertificate | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(certificate);
    };
    const timer = setTimeout(() => done(null), options.timeoutMs);
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate();
      done(certificate?.valid_to ? certificate : null);
    });
    socket.once('error', () => done(null));
  });
}
