import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ConfigError, loadConfig, readCredentialsKey } from '../src/config.ts';
import { newSecret } from './helpers/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'igny8-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(mode: number, content = `${newSecret()}\n`): string {
  const path = join(dir, `secret-${mode.toString(8)}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const secret = newSecret();
    const config = loadConfig({ IGNY8_SIDECAR_SECRET: secret });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: '.igny8/sidecar',
      logLevel: 'info',
      allowedHosts: undefined,
      rateLimitPerMin: 600,
      wpUrl: undefined,
      tls: undefined,
      previousSecret: undefined,
      databaseUrl: undefined,
    });
    expect(Buffer.from(config.secret).toString('base64url')).toBe(secret);
  });

  it('reads a 0600 (or stricter) secret file', () => {
    expect(loadConfig({ IGNY8_SIDECAR_SECRET_FILE: secretFile(0o600) }).secret).toHaveLength(32);
    expect(loadConfig({ IGNY8_SIDECAR_SECRET_FILE: secretFile(0o400) }).secret).toHaveLength(32);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a secret file with mode %o', (mode) => {
    const path = secretFile(mode);
    expect(problems({ IGNY8_SIDECAR_SECRET_FILE: path })).toMatch(/must be 0600 or stricter/);
  });

  it('reads the credentials key from a private file, with the same file checks as the secret file', () => {
    const key = (env: Record<string, string>, dataDir = join(dir, 'data')) => {
      const found: string[] = [];
      const value = readCredentialsKey(env, dataDir, found);
      return { value, problems: found.join('; ') };
    };
    expect(key({ IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: secretFile(0o600) }).value).toHaveLength(32);
    expect(key({ IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: secretFile(0o644) }).problems).toMatch(/IGNY8_SIDECAR_CREDENTIALS_KEY_FILE .* has mode 0644; it must be 0600 or stricter/);
    expect(key({ IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: dir }).problems).toMatch(/is not a regular file/);
    expect(key({ IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: join(dir, 'missing') }).problems).toMatch(/cannot be read \(ENOENT\)/);
    // Kept away from the store it protects.
    expect(key({ IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: secretFile(0o600) }, dir).problems).toMatch(/is inside SIDECAR_DATA_DIR/);
  });

  it('refuses a missing secret, both sources at once, and a secret that is not 32 bytes — without echoing it', () => {
    expect(problems({})).toMatch(/IGNY8_SIDECAR_SECRET or IGNY8_SIDECAR_SECRET_FILE is required/);
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), IGNY8_SIDECAR_SECRET_FILE: secretFile(0o600) })).toMatch(/not both/);
    const short = Buffer.alloc(31, 7).toString('base64url');
    const message = problems({ IGNY8_SIDECAR_SECRET: short });
    expect(message).toMatch(/32 random bytes/);
    expect(message).not.toContain(short);
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), IGNY8_SIDECAR_SECRET_PREVIOUS: 'short' })).toMatch(
      /IGNY8_SIDECAR_SECRET_PREVIOUS must be 32 random bytes/,
    );
  });

  it('requires TLS for a non-loopback host', () => {
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: '0.0.0.0' })).toMatch(/must serve https/);
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: '0.0.0.0', SIDECAR_TLS_CERT: '/nope.pem' })).toMatch(
      /set together/,
    );
    expect(loadConfig({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: 'localhost' }).host).toBe('localhost');
    // wp-env (development): plain http on the Docker bridge, only when asked for and with an explicit Host allow-list.
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: '172.17.0.1', SIDECAR_ALLOW_PLAIN_HTTP: '1' })).toMatch(
      /SIDECAR_ALLOW_PLAIN_HTTP=1 needs SIDECAR_ALLOWED_HOSTS/,
    );
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: '172.17.0.1', SIDECAR_ALLOW_PLAIN_HTTP: 'yes' })).toMatch(/SIDECAR_ALLOW_PLAIN_HTTP/);
    const dev = loadConfig({
      IGNY8_SIDECAR_SECRET: newSecret(),
      SIDECAR_HOST: '172.17.0.1',
      SIDECAR_ALLOW_PLAIN_HTTP: '1',
      SIDECAR_ALLOWED_HOSTS: 'host.docker.internal:8787',
    });
    expect(dev.host).toBe('172.17.0.1');
    expect(dev.tls).toBeUndefined();
    expect(loadConfig({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_HOST: '::1' }).host).toBe('::1');
  });

  it('validates ports, URLs, levels, limits and the host allow-list, listing every problem', () => {
    const message = problems({
      IGNY8_SIDECAR_SECRET: newSecret(),
      SIDECAR_PORT: '70000',
      WP_URL: 'ftp://wp.example',
      LOG_LEVEL: 'loud',
      SIDECAR_RATE_LIMIT_PER_MIN: '0',
    });
    expect(message).toMatch(/SIDECAR_PORT/);
    expect(message).toMatch(/WP_URL/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toMatch(/SIDECAR_RATE_LIMIT_PER_MIN/);
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_ALLOWED_HOSTS: 'ok.example:1,bad host' })).toMatch(/bad host/);
  });

  it('accepts port 0, an explicit allow-list and WP_URL', () => {
    const config = loadConfig({
      IGNY8_SIDECAR_SECRET: newSecret(),
      SIDECAR_PORT: '0',
      SIDECAR_ALLOWED_HOSTS: 'Sidecar.Internal:9443, 127.0.0.1:9443',
      WP_URL: 'http://127.0.0.1:8080',
    });
    expect(config.port).toBe(0);
    expect(config.allowedHosts).toEqual(['sidecar.internal:9443', '127.0.0.1:9443']);
    expect(config.wpUrl).toBe('http://127.0.0.1:8080');
  });

  it('IGNY8_SIDECAR_DATABASE_URL selects PostgreSQL: a postgres:// URL only', () => {
    const url = 'postgres://igny8@127.0.0.1:5432/igny8';
    expect(loadConfig({ IGNY8_SIDECAR_SECRET: newSecret(), IGNY8_SIDECAR_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(problems({ IGNY8_SIDECAR_SECRET: newSecret(), IGNY8_SIDECAR_DATABASE_URL: 'mysql://db/x' })).toMatch(/IGNY8_SIDECAR_DATABASE_URL/);
  });
});
