/**
 * Environment → validated Config. Bad configuration fails at start-up with one clear message listing every
 * problem; secrets are read here, decoded to bytes, and never appear in a message.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { relative, resolve } from 'node:path';

import { z } from 'zod';

import { decodeSecret } from './protocol/keys.ts';
import { SITE_ID_PATTERN } from './protocol/site-pin.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  host: string;
  port: number;
  tls: { cert: Buffer; key: Buffer } | undefined;
  secret: Uint8Array;
  previousSecret: Uint8Array | undefined;
  /** IGNY8_SIDECAR_SITE_ID: the one site this sidecar serves; undefined = pinned on first use (protocol/site-pin.ts). */
  siteId: string | undefined;
  /** WordPress base URL for asynchronous internal calls (sync write-backs); optional until the queue lands. */
  wpUrl: string | undefined;
  dataDir: string;
  logLevel: LogLevel;
  /** Explicit `host:port` allow-list; undefined = loopback names on the bound port. */
  allowedHosts: string[] | undefined;
  rateLimitPerMin: number;
  /**
   * IGNY8_SIDECAR_OPERATOR_TOKEN: the bearer token of the operator's endpoints (`GET /metrics`); undefined = they are
   * not served. At least 32 characters; never a site's secret.
   */
  operatorToken: string | undefined;
  /** PostgreSQL for the queue and state (IGNY8_SIDECAR_DATABASE_URL); undefined = the embedded SQLite file. */
  databaseUrl: string | undefined;
  sync: SyncConfig;
}

/** The WordPress → IGNY8 sync (queue timing, IGNY8 paths, credentials key, development credentials). */
export interface SyncConfig {
  backoffBaseMs: number;
  backoffMaxMs: number;
  retryAfterCapMs: number;
  maxAttempts: number;
  concurrency: number;
  reconcileIntervalMs: number;
  /** Least time between two automatic site-structure pushes (SPEC §6: at most daily; tests shorten it). */
  structureMinIntervalMs?: number;
  /**
   * How long a claimed delivery is held (SIDECAR_SYNC_LEASE_MS, default 2 min): with replicas on PostgreSQL, a job a
   * killed replica held is delivered by another one after this. Longer than the slowest IGNY8 call (its timeout).
   */
  leaseMs?: number;
  /**
   * Least time between two write-back calls to WordPress under a steady flow of deliveries
   * (SIDECAR_SYNC_WRITEBACK_INTERVAL_MS, default 500): each is a WordPress bootstrap.
   */
  writebackIntervalMs?: number;
  httpTimeoutMs: number;
  /** Overrides of the IGNY8 path candidates per endpoint (IGNY8_API_PATHS, JSON). */
  paths: Record<string, string[]>;
  /** 32 bytes sealing the IGNY8 credentials at rest; undefined = nothing secret is written to disk. */
  credentialsKey: Uint8Array | undefined;
  /**
   * Keys that sealed values earlier (IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS or _FILE): they still open what they
   * sealed, and never seal; kept until every value is sealed again with the current key (`sites reseal`).
   */
  previousCredentialsKeys?: readonly Uint8Array[];
  /** Development defaults: used while no credentials were saved in settings. Never written to the store. */
  apiBaseUrl: string | undefined;
  email: string | undefined;
  password: string | undefined;
  apiKey: string | undefined;
}

/**
 * `igny8-sidecar start --multi-site` (or IGNY8_SIDECAR_MULTI_SITE=1): one deployment serves every enrolled site
 * (issue #16 §1). There is no sidecar-wide secret, site id or WordPress URL: each comes from the site's record in
 * PostgreSQL, whose signing secret the credentials key seals, so both are required.
 */
export interface MultiSiteConfig extends Omit<Config, 'secret' | 'previousSecret' | 'siteId' | 'wpUrl' | 'databaseUrl'> {
  databaseUrl: string;
  sync: SyncConfig & { credentialsKey: Uint8Array };
  /** How many sites' sync runtimes stay open at once (least recently used closed first). */
  maxOpenSites: number;
}

/** True when the environment asks for multi-site mode (`start --multi-site` sets it). */
export function multiSiteRequested(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.IGNY8_SIDECAR_MULTI_SITE === '1';
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid sidecar configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const EnvSchema = z.object({
  SIDECAR_HOST: optionalText.transform((v) => v ?? '127.0.0.1'),
  SIDECAR_PORT: optionalText
    .transform((v) => v ?? '8787')
    .pipe(z.string().regex(/^\d{1,5}$/, 'must be a port number').transform(Number))
    .pipe(z.int().min(0).max(65535)),
  IGNY8_SIDECAR_SECRET: optionalText,
  IGNY8_SIDECAR_SECRET_FILE: optionalText,
  IGNY8_SIDECAR_SECRET_PREVIOUS: optionalText,
  IGNY8_SIDECAR_SITE_ID: optionalText
    .transform((v) => v?.toLowerCase())
    .pipe(z.string().regex(SITE_ID_PATTERN, 'must be the site id (a UUID) shown in Settings → IGNY8 → Sidecar').optional()),
  WP_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .optional(),
  ),
  SIDECAR_DATA_DIR: optionalText.transform((v) => v ?? '.igny8/sidecar'),
  IGNY8_SIDECAR_DATABASE_URL: optionalText.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  LOG_LEVEL: optionalText.transform((v) => v ?? 'info').pipe(z.enum(LOG_LEVELS)),
  SIDECAR_ALLOWED_HOSTS: optionalText.transform((v) =>
    v === undefined
      ? undefined
      : v
          .split(',')
          .map((entry) => entry.trim().toLowerCase())
          .filter((entry) => entry !== ''),
  ),
  SIDECAR_RATE_LIMIT_PER_MIN: optionalText
    .transform((v) => v ?? '600')
    .pipe(z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number))
    .pipe(z.int().min(1)),
  SIDECAR_TLS_CERT: optionalText,
  SIDECAR_TLS_KEY: optionalText,
  /** Development only (wp-env): plain http on a non-loopback SIDECAR_HOST such as the Docker bridge. */
  SIDECAR_ALLOW_PLAIN_HTTP: optionalText.pipe(z.enum(['1'], { error: 'must be 1 or unset' }).optional()),
  SIDECAR_SYNC_BACKOFF_BASE_MS: positiveInt('2000'),
  SIDECAR_SYNC_BACKOFF_MAX_MS: positiveInt('600000'),
  SIDECAR_SYNC_RETRY_AFTER_CAP_MS: positiveInt('900000'),
  SIDECAR_SYNC_MAX_ATTEMPTS: positiveInt('15'),
  SIDECAR_SYNC_CONCURRENCY: positiveInt('4'),
  SIDECAR_RECONCILE_INTERVAL_MS: positiveInt('60000'),
  SIDECAR_STRUCTURE_MIN_INTERVAL_MS: positiveInt('86400000'),
  SIDECAR_SYNC_LEASE_MS: positiveInt('120000'),
  SIDECAR_SYNC_WRITEBACK_INTERVAL_MS: positiveInt('500'),
  IGNY8_HTTP_TIMEOUT_MS: positiveInt('15000'),
  IGNY8_API_PATHS: optionalText,
  IGNY8_SIDECAR_CREDENTIALS_KEY: optionalText,
  IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: optionalText,
  IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS: optionalText,
  IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS_FILE: optionalText,
  IGNY8_API_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  IGNY8_EMAIL: optionalText,
  IGNY8_PASSWORD: z.string().optional().transform((v) => (v === undefined || v === '' ? undefined : v)),
  IGNY8_API_KEY: optionalText,
  IGNY8_SIDECAR_MULTI_SITE: optionalText.pipe(z.enum(['1'], { error: 'must be 1 or unset' }).optional()),
  IGNY8_SIDECAR_MAX_OPEN_SITES: positiveInt('500'),
  IGNY8_SIDECAR_OPERATOR_TOKEN: optionalText.pipe(
    z
      .string()
      .regex(/^[\x21-\x7e]{32,512}$/, 'must be 32 to 512 printable characters without spaces (e.g. openssl rand -base64 32)')
      .optional(),
  ),
});

function positiveInt(fallback: string) {
  return optionalText
    .transform((v) => v ?? fallback)
    .pipe(z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number))
    .pipe(z.int().min(1));
}

const PATH_CANDIDATE = /^(GET|POST|PUT|PATCH) \/[A-Za-z0-9_\-./{}]*$/;

function parsePaths(text: string | undefined, problems: string[]): Record<string, string[]> {
  if (text === undefined) {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const paths: Record<string, string[]> = {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('not an object');
    }
    for (const [endpoint, value] of Object.entries(parsed)) {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || !list.every((entry) => typeof entry === 'string' && PATH_CANDIDATE.test(entry))) {
        throw new Error(`${endpoint} must be "METHOD /path/" or a list of them`);
      }
      paths[endpoint] = list as string[];
    }
    return paths;
  } catch (error) {
    problems.push(`IGNY8_API_PATHS must be JSON like {"webhook":["POST /api/v1/integration/webhook/wordpress/"]} (${(error as Error).message})`);
    return {};
  }
}

type CredentialsKeyEnv = {
  IGNY8_SIDECAR_CREDENTIALS_KEY?: string | undefined;
  IGNY8_SIDECAR_CREDENTIALS_KEY_FILE?: string | undefined;
  IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS?: string | undefined;
  IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS_FILE?: string | undefined;
};

/** The text of NAME or of NAME_FILE (a private file, see readPrivateFile, not inside the data folder), or undefined for neither. */
function keyText(name: 'IGNY8_SIDECAR_CREDENTIALS_KEY' | 'IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS', e: CredentialsKeyEnv, dataDir: string, problems: string[]): string | undefined {
  const inline = e[name];
  const path = e[`${name}_FILE`];
  if (inline !== undefined && path !== undefined) {
    problems.push(`set either ${name} or ${name}_FILE, not both`);
    return undefined;
  }
  if (path === undefined) {
    return inline;
  }
  const file = resolve(path);
  const inside = relative(resolve(dataDir), file);
  if (!inside.startsWith('..') && !inside.startsWith('/')) {
    problems.push(`${name}_FILE ${file} is inside SIDECAR_DATA_DIR: keep the key away from the store it protects`);
    return undefined;
  }
  return readPrivateFile(`${name}_FILE`, file, problems);
}

/** The credentials key: base64url 32 bytes, from the env or a 0600 file that is not inside the data folder. */
export function readCredentialsKey(e: CredentialsKeyEnv, dataDir: string, problems: string[]): Uint8Array | undefined {
  const text = keyText('IGNY8_SIDECAR_CREDENTIALS_KEY', e, dataDir, problems);
  return text === undefined ? undefined : decodeInto(text, 'the credentials key', problems);
}

/**
 * The previous credentials keys (rotation): one or more base64url keys separated by commas, spaces or new lines, from
 * IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS or a 0600 _FILE. They need the current key beside them.
 */
export function readPreviousCredentialsKeys(e: CredentialsKeyEnv, dataDir: string, problems: string[]): Uint8Array[] {
  const text = keyText('IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS', e, dataDir, problems);
  if (text === undefined) {
    return [];
  }
  if (e.IGNY8_SIDECAR_CREDENTIALS_KEY === undefined && e.IGNY8_SIDECAR_CREDENTIALS_KEY_FILE === undefined) {
    problems.push('IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS needs the current key in IGNY8_SIDECAR_CREDENTIALS_KEY (or _FILE): the current key seals, previous keys only open');
    return [];
  }
  const keys: Uint8Array[] = [];
  for (const [index, part] of text.split(/[\s,]+/).filter(Boolean).entries()) {
    const key = decodeInto(part, `previous credentials key ${index + 1}`, problems);
    if (key !== undefined) {
      keys.push(key);
    }
  }
  return keys;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') {
    return true;
  }
  if (isIP(bare) === 4) {
    return bare.startsWith('127.');
  }
  return bare === '::1' || /^::ffff:127\./.test(bare);
}

/** Reads the secret or key file that NAME names: a regular file that group and others cannot read (0600 or stricter). */
function readPrivateFile(name: string, path: string, problems: string[]): string | undefined {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      problems.push(`${name} ${path} is not a regular file`);
      return undefined;
    }
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      problems.push(`${name} ${path} has mode ${mode}; it must be 0600 or stricter (chmod 600 ${path})`);
      return undefined;
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function decodeInto(text: string, name: string, problems: string[]): Uint8Array | undefined {
  try {
    return decodeSecret(text, name);
  } catch (error) {
    problems.push((error as Error).message);
    return undefined;
  }
}

function readTlsFile(name: string, path: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    problems.push(`${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

type ParsedEnv = z.infer<typeof EnvSchema>;

function parseEnv(env: Readonly<Record<string, string | undefined>>): ParsedEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return parsed.data;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const e = parseEnv(env);
  const problems: string[] = [];

  let secretText: string | undefined;
  if (e.IGNY8_SIDECAR_SECRET !== undefined && e.IGNY8_SIDECAR_SECRET_FILE !== undefined) {
    problems.push('set either IGNY8_SIDECAR_SECRET or IGNY8_SIDECAR_SECRET_FILE, not both');
  } else if (e.IGNY8_SIDECAR_SECRET_FILE !== undefined) {
    secretText = readPrivateFile('IGNY8_SIDECAR_SECRET_FILE', e.IGNY8_SIDECAR_SECRET_FILE, problems);
  } else if (e.IGNY8_SIDECAR_SECRET !== undefined) {
    secretText = e.IGNY8_SIDECAR_SECRET;
  } else {
    problems.push('IGNY8_SIDECAR_SECRET or IGNY8_SIDECAR_SECRET_FILE is required (the site secret shared with the plugin)');
  }
  const secret = secretText === undefined ? undefined : decodeInto(secretText, 'the site secret', problems);
  const previousSecret =
    e.IGNY8_SIDECAR_SECRET_PREVIOUS === undefined
      ? undefined
      : decodeInto(e.IGNY8_SIDECAR_SECRET_PREVIOUS, 'IGNY8_SIDECAR_SECRET_PREVIOUS', problems);

  const common = commonConfig(e, problems);
  if (problems.length > 0 || secret === undefined) {
    throw new ConfigError(problems);
  }
  return {
    ...common,
    secret,
    previousSecret,
    siteId: e.IGNY8_SIDECAR_SITE_ID,
    wpUrl: e.WP_URL,
    databaseUrl: e.IGNY8_SIDECAR_DATABASE_URL,
  };
}

/** The multi-site configuration: PostgreSQL and the credentials key required, no single site's secret or URL. */
export function loadMultiSiteConfig(env: Readonly<Record<string, string | undefined>> = process.env): MultiSiteConfig {
  const e = parseEnv(env);
  const problems: string[] = [];
  for (const name of ['IGNY8_SIDECAR_SECRET', 'IGNY8_SIDECAR_SECRET_FILE', 'IGNY8_SIDECAR_SECRET_PREVIOUS', 'IGNY8_SIDECAR_SITE_ID', 'WP_URL'] as const) {
    if (e[name] !== undefined) {
      problems.push(`${name} is not used in multi-site mode (each site's id, URL and secret are registered at enrolment): unset it`);
    }
  }
  if (e.IGNY8_SIDECAR_DATABASE_URL === undefined) {
    problems.push('multi-site mode needs IGNY8_SIDECAR_DATABASE_URL (postgres://…): the sites, queues and state live in PostgreSQL');
  }
  const common = commonConfig(e, problems);
  const credentialsKey = common.sync.credentialsKey;
  if (credentialsKey === undefined && !problems.some((problem) => problem.includes('CREDENTIALS_KEY'))) {
    problems.push('multi-site mode needs the credentials key (IGNY8_SIDECAR_CREDENTIALS_KEY or _FILE): it seals every site\'s signing secret');
  }
  if (problems.length > 0 || e.IGNY8_SIDECAR_DATABASE_URL === undefined || credentialsKey === undefined) {
    throw new ConfigError(problems);
  }
  return {
    ...common,
    databaseUrl: e.IGNY8_SIDECAR_DATABASE_URL,
    sync: { ...common.sync, credentialsKey },
    maxOpenSites: e.IGNY8_SIDECAR_MAX_OPEN_SITES,
  };
}

type CommonConfig = Omit<Config, 'secret' | 'previousSecret' | 'siteId' | 'wpUrl' | 'databaseUrl'>;

function commonConfig(e: ParsedEnv, problems: string[]): CommonConfig {
  let tls: Config['tls'];
  const wantsTls = e.SIDECAR_TLS_CERT !== undefined || e.SIDECAR_TLS_KEY !== undefined;
  if (wantsTls) {
    if (e.SIDECAR_TLS_CERT === undefined || e.SIDECAR_TLS_KEY === undefined) {
      problems.push('SIDECAR_TLS_CERT and SIDECAR_TLS_KEY must be set together');
    } else {
      const cert = readTlsFile('SIDECAR_TLS_CERT', e.SIDECAR_TLS_CERT, problems);
      const key = readTlsFile('SIDECAR_TLS_KEY', e.SIDECAR_TLS_KEY, problems);
      tls = cert !== undefined && key !== undefined ? { cert, key } : undefined;
    }
  }
  if (!isLoopbackHost(e.SIDECAR_HOST) && !wantsTls && e.SIDECAR_ALLOW_PLAIN_HTTP !== '1') {
    problems.push(`SIDECAR_HOST ${e.SIDECAR_HOST} is not loopback: a remote sidecar must serve https (set SIDECAR_TLS_CERT and SIDECAR_TLS_KEY)`);
  }
  if (e.SIDECAR_ALLOW_PLAIN_HTTP === '1' && e.SIDECAR_ALLOWED_HOSTS === undefined) {
    problems.push('SIDECAR_ALLOW_PLAIN_HTTP=1 needs SIDECAR_ALLOWED_HOSTS: the host:port WordPress calls (wp-env: host.docker.internal:8787)');
  }
  for (const entry of e.SIDECAR_ALLOWED_HOSTS ?? []) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry)) {
      problems.push(`SIDECAR_ALLOWED_HOSTS entry "${entry}" is not host[:port]`);
    }
  }

  const paths = parsePaths(e.IGNY8_API_PATHS, problems);
  const credentialsKey = readCredentialsKey(e, e.SIDECAR_DATA_DIR, problems);
  const previousCredentialsKeys = readPreviousCredentialsKeys(e, e.SIDECAR_DATA_DIR, problems);

  return {
    host: e.SIDECAR_HOST,
    port: e.SIDECAR_PORT,
    tls,
    dataDir: e.SIDECAR_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    allowedHosts: e.SIDECAR_ALLOWED_HOSTS,
    rateLimitPerMin: e.SIDECAR_RATE_LIMIT_PER_MIN,
    operatorToken: e.IGNY8_SIDECAR_OPERATOR_TOKEN,
    sync: {
      backoffBaseMs: e.SIDECAR_SYNC_BACKOFF_BASE_MS,
      backoffMaxMs: e.SIDECAR_SYNC_BACKOFF_MAX_MS,
      retryAfterCapMs: e.SIDECAR_SYNC_RETRY_AFTER_CAP_MS,
      maxAttempts: e.SIDECAR_SYNC_MAX_ATTEMPTS,
      concurrency: e.SIDECAR_SYNC_CONCURRENCY,
      reconcileIntervalMs: e.SIDECAR_RECONCILE_INTERVAL_MS,
      structureMinIntervalMs: e.SIDECAR_STRUCTURE_MIN_INTERVAL_MS,
      leaseMs: e.SIDECAR_SYNC_LEASE_MS,
      writebackIntervalMs: e.SIDECAR_SYNC_WRITEBACK_INTERVAL_MS,
      httpTimeoutMs: e.IGNY8_HTTP_TIMEOUT_MS,
      paths,
      credentialsKey,
      previousCredentialsKeys,
      apiBaseUrl: e.IGNY8_API_BASE_URL,
      email: e.IGNY8_EMAIL,
      password: e.IGNY8_PASSWORD,
      apiKey: e.IGNY8_API_KEY,
    },
  };
}
