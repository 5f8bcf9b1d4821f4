/**
 * The settings screen's routes (SPEC §7, §9), all `manage_options`:
 * - `GET  /settings` → the settings, which secrets are present (never a secret), the connection state and both key
 *   fingerprints;
 * - `POST /settings` → validate, keep secrets in the sidecar (sealed), save the non-secret options through the
 *   `save_settings` op (+ `set_api_key`, so PHP stores the key's HMAC), answer the read shape;
 * - `POST /settings/test-connection` → log in and list IGNY8 sites (`GET /api/v1/auth/sites/`), or the ApiKey
 *   equivalent for the webhook target.
 */
import { z } from 'zod';

import { retentionOf } from '../adapters/activity-log.ts';
import { isLoopbackHost } from '../config.ts';
import { contract } from '../contract/contract.ts';
import { statusMapProblem } from '../mapping/status-map.ts';
import { AppError } from '../contract/errors.ts';
import { opFailure, type ShimContext } from '../protocol/messages.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import type { SettingsPort, SettingsSecrets } from '../sync/ports.ts';

/** API field → WordPress option. */
const OPTION_OF = {
  api_base_url: 'igny8_api_base_url',
  sync_target: 'igny8_sync_target',
  connection_enabled: 'igny8_connection_enabled',
  allowed_post_types: 'igny8_allowed_post_types',
  default_post_status: 'igny8_default_post_status',
  default_author: 'igny8_default_author',
  sync_mode: 'igny8_sync_mode',
  content_format: 'igny8_content_format',
  republish_policy: 'igny8_republish_policy',
  content_sync: 'igny8_content_sync',
  site_id: 'igny8_site_id',
  status_map_igny8_to_wp: 'igny8_status_map_igny8_to_wp',
  status_map_wp_to_igny8: 'igny8_status_map_wp_to_igny8',
  activity_retention_days: 'igny8_activity_retention_days',
  activity_max_rows: 'igny8_activity_max_rows',
} as const;
type OptionField = keyof typeof OPTION_OF;

const API_KEY_MIN = 32;
const API_KEY_MAX = 512;

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional().transform((v) => v ?? undefined);
const StatusMapInput = z.record(z.string().regex(/^[a-z0-9_-]{1,40}$/), z.string().regex(/^[a-z0-9_-]{1,40}$/));

/** An integer option with the contract's minimum and maximum. */
function boundedOption(name: string) {
  const spec = contract.options[name] as unknown as { minimum: number; maximum: number };
  return z.int().min(spec.minimum).max(spec.maximum);
}

export const SettingsInput = z.object({
  api_base_url: nullable(z.string().trim().max(2048)),
  email: nullable(z.string().trim().max(254)),
  password: nullable(z.string().max(1024)),
  api_key: nullable(z.string().trim().max(API_KEY_MAX)),
  sync_target: nullable(z.enum(['tasks', 'webhook'])),
  connection_enabled: nullable(z.boolean()),
  allowed_post_types: nullable(z.array(z.enum(contract.post_types as [string, ...string[]])).max(10)),
  default_post_status: nullable(z.string()),
  default_author: nullable(z.int().nonnegative()),
  sync_mode: nullable(z.enum(['auto', 'manual'])),
  content_format: nullable(z.enum(['blocks', 'html'])),
  republish_policy: nullable(z.enum(['overwrite', 'keep_local'])),
  content_sync: nullable(z.boolean()),
  site_id: nullable(z.union([z.string().trim().max(64), z.int().nonnegative().transform(String)])),
  relogin: nullable(z.boolean()),
  clear_credentials: nullable(z.boolean()),
  status_map_igny8_to_wp: nullable(StatusMapInput),
  status_map_wp_to_igny8: nullable(StatusMapInput),
  activity_retention_days: nullable(boundedOption('igny8_activity_retention_days')),
  activity_max_rows: nullable(boundedOption('igny8_activity_max_rows')),
});
export type SettingsInput = z.infer<typeof SettingsInput>;

function fail(field: string, message: string): never {
  throw new AppError('VALIDATION_FAILED', message, { field });
}

/** https anywhere; plain http only for a loopback host (development). */
export function checkBaseUrl(value: string): string {
  if (value === '') {
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('api_base_url', 'The IGNY8 API base URL must be a full URL, e.g. https://api.igny8.com.');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    fail('api_base_url', 'The IGNY8 API base URL must not contain credentials, a query or a fragment.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    fail('api_base_url', 'The IGNY8 API base URL must use https (plain http only for a loopback address in development).');
  }
  return url.toString().replace(/\/+$/, '');
}

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const stringMap = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    : {};

export function settingsView(
  settings: Record<string, unknown>,
  ctx: ShimContext,
  port: SettingsPort,
  kid: string | undefined,
  apiKeyPresent: boolean = ctx.facts.api_key_present,
) {
  const credentials = port.credentials();
  const apiBaseUrl = str(settings.igny8_api_base_url);
  return {
    api_base_url: apiBaseUrl,
    email: credentials.email,
    sync_target: str(settings.igny8_sync_target, 'tasks'),
    connection_enabled: settings.igny8_connection_enabled !== false,
    allowed_post_types: Array.isArray(settings.igny8_allowed_post_types) ? settings.igny8_allowed_post_types : [],
    default_post_status: str(settings.igny8_default_post_status, 'draft'),
    default_author: typeof settings.igny8_default_author === 'number' ? settings.igny8_default_author : 0,
    sync_mode: str(settings.igny8_sync_mode, 'auto'),
    content_format: str(settings.igny8_content_format, 'blocks'),
    republish_policy: str(settings.igny8_republish_policy, 'overwrite'),
    content_sync: settings.igny8_content_sync !== false,
    // The overrides as saved; the active maps are the contract's defaults with these on top (mapping/status-map.ts).
    status_map_igny8_to_wp: stringMap(settings.igny8_status_map_igny8_to_wp),
    status_map_wp_to_igny8: stringMap(settings.igny8_status_map_wp_to_igny8),
    site_id: str(settings.igny8_site_id) || (port.igny8SiteId() ?? ''),
    activity_retention_days: retentionOf(settings).days,
    activity_max_rows: retentionOf(settings).rows,
    api_key_present: apiKeyPresent,
    webhook_key_present: credentials.webhook_key_present,
    password_present: credentials.password_present,
    token_present: credentials.token_present,
    relogin: credentials.relogin,
    credentials_storable: credentials.credentials_storable,
    connection: port.connection(apiBaseUrl !== ''),
    fingerprints: { shim: kid ?? null, sidecar: port.sidecarKid() },
  };
}

function parseInput(body: unknown): SettingsInput {
  const parsed = SettingsInput.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(String(issue?.path[0] ?? 'body'), `Invalid value: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}

export function createSettingsRoutes(port: SettingsPort): RouteHandler[] {
  const read: RouteHandler = {
    id: 'settings_read',
    start({ ctx, kid }) {
      return respond(200, successEnvelope(ctx.request_id, settingsView(ctx.settings, ctx, port, kid)));
    },
  };

  const save: RouteHandler = {
    id: 'settings_save',
    start({ ctx, sid, body, kid }) {
      const input = parseInput(body);
      const options: Record<string, unknown> = {};
      for (const field of Object.keys(OPTION_OF) as OptionField[]) {
        if (input[field] !== undefined) {
          options[OPTION_OF[field]] = input[field];
        }
      }
      for (const direction of ['igny8_to_wp', 'wp_to_igny8'] as const) {
        const overrides = input[`status_map_${direction}`];
        const problem = overrides === undefined ? undefined : statusMapProblem(direction, overrides);
        if (problem !== undefined) {
          fail(`status_map_${direction}`, problem);
        }
      }
      const oldBaseUrl = str(ctx.settings.igny8_api_base_url);
      let baseUrlChanged = false;
      if (input.api_base_url !== undefined) {
        const normalized = checkBaseUrl(input.api_base_url);
        options.igny8_api_base_url = normalized;
        baseUrlChanged = oldBaseUrl !== '' && normalized.replace(/\/+$/, '') !== oldBaseUrl.replace(/\/+$/, '');
      }
      if (input.email !== undefined && input.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) {
        fail('email', 'Enter a valid email address.');
      }
      const password = input.password === '' ? undefined : input.password;
      const apiKey = input.api_key === '' ? undefined : input.api_key;
      if (apiKey !== undefined && (apiKey.length < API_KEY_MIN || !/^[\x21-\x7E]+$/.test(apiKey))) {
        fail('api_key', `The API key must be ${API_KEY_MIN} to ${API_KEY_MAX} printable characters without spaces.`);
      }
      const target = input.sync_target ?? (str(ctx.settings.igny8_sync_target, 'tasks') as 'tasks' | 'webhook');
      if (baseUrlChanged) {
        // A different IGNY8 must not inherit this one's session or secrets.
        if (target === 'webhook' && apiKey === undefined) {
          fail('api_key', 'Changing the IGNY8 API base URL requires entering the API key again.');
        }
        if (target === 'tasks' && password === undefined) {
          fail('password', 'Changing the IGNY8 API base URL requires entering the email and password again.');
        }
      }
      const secrets: SettingsSecrets = {};
      if (input.email !== undefined) {
        secrets.email = input.email;
      }
      if (password !== undefined) {
        secrets.password = password;
      }
      if (apiKey !== undefined) {
        secrets.api_key = apiKey;
      }
      if (input.relogin !== undefined) {
        secrets.relogin = input.relogin;
      }
      if (input.clear_credentials === true) {
        secrets.clear = true;
      }
      if (baseUrlChanged) {
        secrets.baseUrlChanged = true;
      }
      const storesSecrets = secrets.email !== undefined || secrets.password !== undefined || secrets.api_key !== undefined;
      const resultingBaseUrl = input.api_base_url === undefined ? oldBaseUrl : (input.api_base_url ?? '');
      if (storesSecrets && secrets.clear !== true && resultingBaseUrl === '') {
        // Credentials are bound to the base URL they are entered for (issue #12 item 4).
        fail('api_base_url', 'Enter the IGNY8 API base URL these credentials are for.');
      }
      if (storesSecrets && !port.credentials().credentials_storable) {
        throw new AppError('CREDENTIALS_KEY_MISSING', 'The sidecar has no credentials key (IGNY8_SIDECAR_CREDENTIALS_KEY or _FILE), so it cannot store IGNY8 credentials.');
      }
      // The secrets wait in the conversation state (sealed), so any replica can finish the save.
      const staged = port.stage(ctx.request_id, sid, secrets);
      const ops = [{ op: 'save_settings', settings: options } as const];
      return execute(apiKey === undefined ? ops : [...ops, { op: 'set_api_key', key: apiKey } as const], { kid: kid ?? null, staged });
    },
    async resume({ ctx, sid }, data, results) {
      const [saved, keyResult] = results;
      const savedFailure = opFailure(saved);
      const keyFailure = keyResult === undefined ? undefined : opFailure(keyResult);
      const failure = savedFailure ?? keyFailure;
      if (failure !== undefined) {
        if (failure.error.code === 'VALIDATION_FAILED') {
          const raw = typeof failure.error.field === 'string' ? failure.error.field : '';
          const field = savedFailure === undefined ? 'api_key' : (Object.entries(OPTION_OF).find(([, option]) => option === raw)?.[0] ?? raw) || 'settings';
          fail(field, failure.error.message);
        }
        throw new AppError('OPERATION_FAILED', `Saving the settings failed in WordPress: ${failure.error.message}`);
      }
      const settings = (saved as { settings?: unknown }).settings;
      const next = typeof settings === 'object' && settings !== null && !Array.isArray(settings) ? (settings as Record<string, unknown>) : ctx.settings;
      await port.commit(ctx.request_id, sid, ctx, next, data.staged);
      const apiKeyPresent = typeof (keyResult as { api_key_present?: unknown } | undefined)?.api_key_present === 'boolean'
        ? Boolean((keyResult as { api_key_present: boolean }).api_key_present)
        : ctx.facts.api_key_present;
      const kid = typeof data.kid === 'string' ? data.kid : undefined;
      return respond(200, successEnvelope(ctx.request_id, settingsView(next, ctx, port, kid, apiKeyPresent), 'Settings saved.'));
    },
  };

  const test: RouteHandler = {
    id: 'settings_test_connection',
    async start({ ctx, sid }) {
      const result = await port.testConnection(sid, ctx);
      return respond(200, successEnvelope(ctx.request_id, result, result.message));
    },
  };

  return [read, save, test];
}
