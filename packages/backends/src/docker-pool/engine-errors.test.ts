import { describe, expect, it } from 'vitest';
import { describeEngineError } from './engine-errors.js';

const err = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('describeEngineError', () => {
  it('names the client certificate when the engine refuses it', () => {
    const e = err('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', '80AC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../rec_layer_s3.c:1601:SSL alert number 42\n');
    expect(describeEngineError(e, '/etc/regatta/lab1')).toBe(
      "the engine refused this server's client certificate (sslv3 alert bad certificate:../rec_layer_s3.c:1601:SSL alert number 42): "
      + 'cert.pem in /etc/regatta/lab1 must be signed by the CA the engine trusts (dockerd --tlscacert)');
    expect(describeEngineError(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'), '/d')).toMatch(/refused this server's client certificate.*cert\.pem in \/d/);
  });

  it("names the CA when the engine's own certificate does not verify", () => {
    expect(describeEngineError(err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), '/d'))
      .toMatch(/^the engine's certificate is not trusted \(Hostname\/IP does not match.*\): ca\.pem in \/d/);
    expect(describeEngineError(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'))).toMatch(/not trusted/);
  });

  it('names a TLS file that cannot be read', () => {
    expect(describeEngineError(err('ENOENT', "ENOENT: no such file or directory, open '/d/cert.pem'"), '/d'))
      .toBe('cannot read /d/cert.pem: a TLS directory holds ca.pem, cert.pem and key.pem (ENOENT)');
    expect(describeEngineError(err('ENOENT', 'connect ENOENT /run/x.sock'))).toBe('does not answer: connect ENOENT /run/x.sock');
  });

  it('names known_hosts when the SSH host key is not known, and the key when the login is refused', () => {
    expect(describeEngineError(new Error('Host denied (verification failed)'), '/etc/regatta/lab2')).toBe(
      "its SSH host key is not the one in /etc/regatta/lab2/known_hosts: compare the host's fingerprint, then add its key there");
    expect(describeEngineError(new Error('All configured authentication methods failed'), '/d')).toMatch(/SSH login was refused.*private key in \/d/);
  });

  it('tells a plain-HTTP client of a TLS engine to give certificates', () => {
    expect(describeEngineError(new Error('(HTTP code 400) Client sent an HTTP request to an HTTPS server.'))).toMatch(/expects TLS.*--tls-dir/);
  });

  it('falls back to "does not answer" with the first line of the cause', () => {
    expect(describeEngineError(err('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:2376\nmore'))).toBe('does not answer: connect ECONNREFUSED 10.0.0.1:2376');
    expect(describeEngineError('no answer in 3000 ms')).toBe('does not answer: no answer in 3000 ms');
  });
});
