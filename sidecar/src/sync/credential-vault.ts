/**
 * The sidecar's IGNY8 credentials (SPEC §9): email, password (only while "re-login automatically" is on), the
 * outbound API key for the webhook target, and the access/refresh tokens. Sealed with AES-256-GCM per site and
 * field (credential-cipher.ts) in the store's key/value table. Without a configured key nothing is written to
 * disk: tokens then live in memory only, and saving credentials is refused.
 *
 * Development: credentials from the environment (IGNY8_EMAIL, IGNY8_PASSWORD, IGNY8_API_KEY) are used while the
 * vault has none of its own; they are never written to the store.
 */
import { CredentialDecryptError, type CredentialCipher } from '../adapters/credential-cipher.ts';
import type { Igny8Credentials, StoredTokens, TokenStore } from '../adapters/igny8-client.ts';
import type { SyncStore } from '../adapters/sync-store.ts';
import type { Logger } from '../logger.ts';

export type CredentialField = 'email' | 'password' | 'api_key' | 'access_token' | 'refresh_token';

export interface EnvCredentials {
  email?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
}

const RELOGIN_KEY = 'relogin';

export class CredentialVault {
  private readonly memory = new Map<string, string>();
  private readonly store: SyncStore;
  private readonly cipher: CredentialCipher | undefined;
  private readonly env: EnvCredentials;
  private readonly site: () => string | undefined;
  private readonly logger: Logger;

  constructor(store: SyncStore, cipher: CredentialCipher | undefined, env: EnvCredentials, site: () => string | undefined, logger: Logger) {
    this.store = store;
    this.cipher = cipher;
    this.env = env;
    this.site = site;
    this.logger = logger;
  }

  /** Whether secrets can be stored at rest (a credentials key is configured). */
  get canStore(): boolean {
    return this.cipher !== undefined;
  }

  get keyId(): string | undefined {
    return this.cipher?.kid;
  }

  private slot(field: CredentialField): string {
    return `credential:${this.site() ?? '-'}:${field}`;
  }

  private stored(field: CredentialField): string | undefined {
    const slot = this.slot(field);
    if (this.cipher === undefined) {
      return this.memory.get(slot);
    }
    const sealed = this.store.getJson<unknown>(slot);
    if (sealed === undefined) {
      return undefined;
    }
    try {
      return this.cipher.open(this.site() ?? '-', field, sealed);
    } catch (error) {
      const reason = error instanceof CredentialDecryptError ? error.reason : 'error';
      this.logger.error({ field, reason }, 'a stored IGNY8 credential cannot be decrypted; enter it again in settings');
      return undefined;
    }
  }

  get(field: CredentialField): string | undefined {
    const value = this.stored(field);
    if (value !== undefined) {
      return value;
    }
    switch (field) {
      case 'email':
        return this.env.email;
      case 'password':
        return this.stored('email') === undefined ? this.env.password : undefined;
      case 'api_key':
        return this.env.apiKey;
      default:
        return undefined;
    }
  }

  /** Seals and stores one field; undefined deletes it. Tokens are kept in memory when there is no key. */
  set(field: CredentialField, value: string | undefined): void {
    const slot = this.slot(field);
    if (value === undefined || value === '') {
      this.store.deleteValue(slot);
      this.memory.delete(slot);
      return;
    }
    if (this.cipher === undefined) {
      if (field === 'access_token' || field === 'refresh_token') {
        this.memory.set(slot, value);
        return;
      }
      throw new Error('no credentials key is configured (IGNY8_SIDECAR_CREDENTIALS_KEY or IGNY8_SIDECAR_CREDENTIALS_KEY_FILE)');
    }
    this.store.setJson(slot, this.cipher.seal(this.site() ?? '-', field, value));
  }

  present(field: CredentialField): boolean {
    return this.get(field) !== undefined;
  }

  credentials(): Igny8Credentials {
    return { email: this.get('email'), password: this.get('password'), apiKey: this.get('api_key') };
  }

  /** "Re-login automatically" (default on): keep the password for fresh logins. */
  relogin(): boolean {
    return this.store.getValue(RELOGIN_KEY) !== '0';
  }

  setRelogin(on: boolean): void {
    this.store.setValue(RELOGIN_KEY, on ? '1' : '0');
  }

  tokenStore(): TokenStore {
    return {
      load: (): StoredTokens => ({ access: this.get('access_token'), refresh: this.get('refresh_token') }),
      save: (tokens: StoredTokens): void => {
        // Refresh first: it is the one that cannot be recovered once rotated.
        this.set('refresh_token', tokens.refresh);
        this.set('access_token', tokens.access);
        if (tokens.refresh !== undefined && !this.relogin() && this.stored('password') !== undefined) {
          // With re-login off only the rotating refresh token is kept.
          this.set('password', undefined);
        }
      },
    };
  }
}
