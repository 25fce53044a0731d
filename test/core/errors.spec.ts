import { failureResponseOf } from '../../src/core/errors.js';
import {
  SessionError,
  SessionOptionsError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionUnavailableError,
} from '../../src/index.js';

describe('SessionError', () => {
  it.each([
    [
      new SessionStoreUnavailableError('get', new Error('ECONNREFUSED')),
      'SESSION_STORE_UNAVAILABLE',
    ],
    [new SessionUnavailableError(), 'SESSION_UNAVAILABLE'],
    [new SessionTooLargeError('App\\Cart', 70_000, 65_536), 'SESSION_TOO_LARGE'],
    [
      new SessionOptionsError('idleTimeout', 'must be a positive number'),
      'SESSION_OPTIONS_INVALID',
    ],
  ])('%s is a SessionError with a stable code', (error, code) => {
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
  });

  it('keeps the store failure as the cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new SessionStoreUnavailableError('get', cause).cause).toBe(cause);
  });

  it('gives the client a 413 body without segment names or sizes', () => {
    const error = new SessionTooLargeError('App\\Secret', 70_123, 65_536);
    expect(error.message).toContain('App\\Secret');
    const body = JSON.stringify(failureResponseOf(error));
    expect(body).not.toContain('Secret');
    expect(body).not.toMatch(/70123|65536/);
    expect(failureResponseOf(error)).toMatchObject({
      statusCode: 413,
      reason: 'session_too_large',
    });
  });
});
