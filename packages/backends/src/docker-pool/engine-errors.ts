/**
 * What went wrong talking to an engine, in words an admin can act on: a TLS refusal says which
 * certificate to check, rather than the raw OpenSSL alert.
 */

interface SystemishError {
  code?: unknown;
  message?: unknown;
}

function codeAndMessage(e: unknown): { code: string; message: string } {
  if (typeof e === 'object' && e !== null) {
    const s = e as SystemishError;
    return { code: typeof s.code === 'string' ? s.code : '', message: typeof s.message === 'string' ? s.message : String(e) };
  }
  return { code: '', message: String(e) };
}

/** Why the engine of a node could not be used; `tlsDir` is where its client certificate is read. */
export function describeEngineError(e: unknown, tlsDir?: string): string {
  const { code, message } = codeAndMessage(e);
  const text = `${code} ${message}`;
  const first = message.split('\n')[0] ?? message;
  if (/BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|alert bad certificate|certificate required/i.test(text)) {
    return `the engine refused this server's client certificate (${first.replace(/^.*SSL routines:[^:]*:/, '').trim()}): `
      + `${tlsDir ? `cert.pem in ${tlsDir}` : 'the client certificate'} must be signed by the CA the engine trusts (dockerd --tlscacert)`;
  }
  if (/CERT_ALTNAME_INVALID|UNABLE_TO_VERIFY|SELF_SIGNED|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/.test(code)) {
    return `the engine's certificate is not trusted (${first}): ${tlsDir ? `ca.pem in ${tlsDir}` : 'the CA'} must be the CA that signed it, for this address`;
  }
  const file = code === 'ENOENT' || code === 'EACCES' ? /open '([^']+)'/.exec(message)?.[1] : undefined;
  if (file) return `cannot read ${file}: a TLS directory holds ca.pem, cert.pem and key.pem (${code})`;
  if (/Host denied \(verification failed\)/.test(message)) {
    return `its SSH host key is not the one in ${tlsDir ?? '~/.ssh'}/known_hosts: compare the host's fingerprint, then add its key there`;
  }
  if (/All configured authentication methods failed/.test(message)) {
    return `the SSH login was refused: the host must list the public key of the private key in ${tlsDir ?? '~/.ssh'} in authorized_keys`;
  }
  if (/HTTP request to an HTTPS server/i.test(message)) return 'the engine expects TLS: give its client certificates (--tls-dir)';
  if (/ECONNRESET|EPROTO|socket hang up/.test(text) && tlsDir) {
    return `the engine closed the TLS connection (${first}): check the client certificate in ${tlsDir}`;
  }
  return `does not answer: ${first}`;
}
