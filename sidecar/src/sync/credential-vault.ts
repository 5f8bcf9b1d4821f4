/**
 * The sidecar's IGNY8 credentials (SPEC §9): email, password (only while "re-login automatically" is on), the
 * outbound API key for the webhook target, and the access/refresh tokens. Sealed with AES-256-GCM per site and
 * field (credential-cipher.ts) in the store's key/value table. Without a configured key nothing is written to
 * disk: tokens then live in memory only, and saving credentials is refused.
 *
 * Every value is bound to the IGNY8 base URL it was entered for (issue #12 item 4): sealed with that URL in the
 * AEAD's associated data, kept in memory with it. When the site's base URL is another one (a rewritten option, an
 * arbitrary-option bug in some plugin), the vault hands out nothing and `credentials().boundTo` names the URL the
 * stored values belong to: the IGNY8 client then sends nothing and asks for the credentials again.
 *
 * Development: credentials from the environment (IGNY8_EMAIL, IGNY8_PASSWORD, IGNY8_API_KEY) are used while the
 * vault has none of its own, bound to IGNY8_API_BASE_URL; they are never written to the store.
 */
import { CredentialCipher, CredentialDecryptError, credentialBaseUrl } from '../adapters/credential-cipher.ts';
import { credentialSlot } from '../adapters/credential-reseal.ts';
import type { Igny8Credentials, StoredTokens, TokenStore } from '../adapters/igny8-client.ts';
import type { JsonObject } from '../protocol/messages.ts';
import type { SiteValues } from './site-values.ts';
import type { Logger } from '../logger.ts';

export type CredentialField = 'email' | 'password' | 'api_key' | 'access_token' | 'refresh_token';

export interface EnvCredentials {
  email?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  /** The base URL the environment's credentials are for (IGNY8_API_BASE_URL); without it they are never used. */
  baseUrl?: string | undefined;
}

const RELOGIN_KEY = 'relogin';

/** A value kept in memory (no credentials key: tokens only), with the base URL it is bound to. */
interface MemoryValue {
  url: string;
  value: string;
}

export class CredentialVault {
  private readonly memory = new Map<string, MemoryValue>();
  /** sealedAt(): per slot, the stored text last seen and what it holds. */
  private readonly opened = new Map<string, { raw: string; sealed: unknown; url: string | undefined; value?: string }>();
  private readonly store: SiteValues;
  private readonly cipher: CredentialCipher | undefined;
  private readonly env: EnvCredentials;
  private readonly site: () => string | undefined;
  private readonly baseUrl: () => string | undefined;
  private readonly logger: Logger;

  constructor(
    store: SiteValues,
    cipher: CredentialCipher | undefined,
    env: EnvCredentials,
    site: () => string | undefined,
    baseUrl: () => string | undefined,
    logger: Logger,
  ) {
    this.store = store;
    this.cipher = cipher;
    this.env = env;
    this.site = site;
    this.baseUrl = baseUrl;
    this.logger = logger;
  }

  /** The binding the site's current base URL asks for ('' when there is none: nothing is bound to it). */
  private currentUrl(): string {
    return credentialBaseUrl(this.baseUrl()) ?? '';
  }

  /** Whether secrets can be stored at rest (a credentials key is configured). */
  get canStore(): boolean {
    return this.cipher !== undefined;
  }

  get keyId(): string | undefined {
    return this.cipher?.kid;
  }

  private slot(field: CredentialField): string {
    return credentialSlot(this.site() ?? '-', field);
  }

  /**
   * The stored sealed value of a slot, parsed, with the base URL it is bound to and, once opened, its plaintext: kept
   * while the stored text is the same (every delivery asks for the credentials and both tokens; parsing, checking
   * and decrypting each of them every time was a millisecond of a delivery).
   */
  private sealedAt(slot: string): { sealed: unknown; url: string | undefined; value?: string } | undefined {
    const raw = this.store.get(slot);
    if (raw === undefined) {
      this.opened.delete(slot);
      return undefined;
    }
    const kept = this.opened.get(slot);
    if (kept !== undefined && kept.raw === raw) {
      return kept;
    }
    let sealed: unknown;
    try {
      sealed = JSON.parse(raw);
    } catch {
      sealed = undefined;
    }
    const entry: { raw: string; sealed: unknown; url: string | undefined; value?: string } = { raw, sealed, url: CredentialCipher.boundUrl(sealed) };
    this.opened.set(slot, entry);
    return entry;
  }

  /** The base URL a stored value is bound to, whether or not it is the current one. */
  private storedUrl(field: CredentialField): string | undefined {
    const slot = this.slot(field);
    return this.cipher === undefined ? this.memory.get(slot)?.url : this.sealedAt(slot)?.url;
  }

  /** A stored value, only when it is bound to the current base URL (or to any, for `rebind`). */
  private stored(field: CredentialField, anyUrl = false): string | undefined {
    const slot = this.slot(field);
    const url = this.currentUrl();
    if (this.cipher === undefined) {
      const kept = this.memory.get(slot);
      return kept !== undefined && ((kept.url === url && url !== '') || anyUrl) ? kept.value : undefined;
    }
    const entry = this.sealedAt(slot);
    if (entry === undefined || entry.sealed === undefined || (!anyUrl && (url === '' || entry.url !== url))) {
      return undefined;
    }
    if (entry.value !== undefined) {
      return entry.value;
    }
    try {
      entry.value = this.cipher.open(this.site() ?? '-', field, entry.sealed);
      return entry.value;
    } catch (error) {
      const reason = error instanceof CredentialDecryptError ? error.reason : 'error';
      this.logger.error({ field, reason }, 'a stored IGNY8 credential cannot be decrypted; enter it again in settings');
      return undefined;
    }
  }

  /**
   * A settings save's secrets sealed for its conversation state (they travel to WordPress and back between its
   * rounds): bound to the site id of the request's verified token and to the request id. Undefined without a
   * credentials key.
   */
  sealStaged(sid: string, requestId: string, json: string): JsonObject | undefined {
    return this.cipher?.seal(sid, `staged:${requestId}`, json, '');
  }

  /** What sealStaged sealed for this request id; undefined when it does not open (another request, site or key). */
  openStaged(sid: string, requestId: string, sealed: unknown): string | undefined {
    try {
      return this.cipher?.open(sid, `staged:${requestId}`, sealed);
    } catch (error) {
      this.logger.warn({ reason: error instanceof CredentialDecryptError ? error.reason : 'error' }, 'staged settings secrets do not open');
      return undefined;
    }
  }

  get(field: CredentialField): string | undefined {
    const value = this.stored(field);
    if (value !== undefined) {
      return value;
    }
    if (this.env.baseUrl === undefined || credentialBaseUrl(this.env.baseUrl) !== this.currentUrl()) {
      return undefined;
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

  /**
   * Seals and stores one field, bound to the current base URL; undefined deletes it. Tokens are kept in memory when
   * there is no key. Without a base URL there is nothing to bind a value to, and it is refused.
   */
  set(field: CredentialField, value: string | undefined): void {
    const slot = this.slot(field);
    if (value === undefined || value === '') {
      this.store.delete(slot);
      this.memory.delete(slot);
      return;
    }
    const url = this.currentUrl();
    if (url === '') {
      throw new Error('IGNY8 credentials need the IGNY8 API base URL they are for: enter it first');
    }
    if (this.cipher === undefined) {
      if (field === 'access_token' || field === 'refresh_token') {
        this.memory.set(slot, { url, value });
        return;
      }
      throw new Error('no credentials key is configured (IGNY8_SIDECAR_CREDENTIALS_KEY or IGNY8_SIDECAR_CREDENTIALS_KEY_FILE)');
    }
    this.store.setJson(slot, this.cipher.seal(this.site() ?? '-', field, value, url));
  }

  /**
   * Binds a stored value to the current base URL. Only the sidecar's own settings handler calls it, when an admin
   * changes the base URL in settings (the email stays; the secrets are wiped there and entered again).
   */
  rebind(field: CredentialField): void {
    const value = this.stored(field, true);
    if (value !== undefined) {
      this.set(field, value);
    }
  }

  present(field: CredentialField): boolean {
    return this.get(field) !== undefined;
  }

  /**
   * What the IGNY8 client may send to the current base URL. `boundTo` is set when stored credentials belong to
   * another base URL: the client then sends nothing (reauth_required) until they are entered again for this one.
   */
  credentials(): Igny8Credentials {
    const url = this.currentUrl();
    const envUrl = credentialBaseUrl(this.env.baseUrl);
    const envHasCredentials = this.env.email !== undefined || this.env.apiKey !== undefined;
    const elsewhere =
      (['email', 'password', 'api_key', 'refresh_token', 'access_token'] as const)
        .map((field) => this.storedUrl(field))
        .find((bound) => bound !== undefined && bound !== url) ??
      (envHasCredentials && envUrl !== undefined && envUrl !== url && this.stored('email') === undefined && this.stored('api_key') === undefined ? envUrl : undefined);
    return {
      email: this.get('email'),
      password: this.get('password'),
      apiKey: this.get('api_key'),
      ...(elsewhere === undefined ? {} : { boundTo: elsewhere }),
    };
  }

  /** "Re-login automatically" (default on): keep the password for fresh logins. */
  relogin(): boolean {
    return this.store.get(RELOGIN_KEY) !== '0';
  }

  setRelogin(on: boolean): void {
    this.store.set(RELOGIN_KEY, on ? '1' : '0');
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
