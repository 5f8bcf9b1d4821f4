/**
 * The `igny8-sidecar` command of the release tarball: `start`, `check`, `--version`, `--help`.
 *
 * Configuration is the environment, optionally completed by an env file (`--env-file FILE` or
 * `IGNY8_SIDECAR_ENV_FILE`; variables already set in the environment win, as with systemd's EnvironmentFile).
 * `start` loads the server lazily, so `--version` and `--help` never open the store or load Express.
 */
import fs from 'node:fs';

import { ConfigError, loadConfig, type Config } from './config.ts';
import { restRoutePrefix } from './contract/contract.ts';
import { createLogger } from './logger.ts';
import { WordPressInternalClient } from './adapters/wp-internal-client.ts';
import { keyRingFromConfig } from './http/listen.ts';
import { PROTOCOL_VERSION } from './protocol/version.ts';
import { SIDECAR_VERSION } from './version.ts';

const HELP = `igny8-sidecar ${SIDECAR_VERSION}: the IGNY8 Bridge sidecar (the logic behind the WordPress plugin)

Usage:
  igny8-sidecar start [--env-file FILE]   run the sidecar (SIGTERM/SIGINT stop it gracefully)
  igny8-sidecar start --multi-site        a hosted sidecar: every enrolled site, on IGNY8_SIDECAR_DATABASE_URL
  igny8-sidecar check [--env-file FILE]   validate the configuration, reach WordPress and IGNY8, explain problems
  igny8-sidecar sites …                   a hosted sidecar's sites: enroll, list, show, disable, enable, remove
  igny8-sidecar --version                 print the version
  igny8-sidecar --help                    this text

Configuration comes from environment variables, or from an env file of KEY=value lines given with --env-file or
IGNY8_SIDECAR_ENV_FILE (a variable set in the environment wins over the file). Required: IGNY8_SIDECAR_SECRET or
IGNY8_SIDECAR_SECRET_FILE (copy the lines from WordPress: Settings -> IGNY8 -> Sidecar) and WP_URL.
Every variable is listed in the README of this package.
`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  fetch: (...args) => fetch(...args),
};

/** Applies `--env-file FILE` / IGNY8_SIDECAR_ENV_FILE to `env` without overriding what is already set. */
export function applyEnvFile(file: string, env: NodeJS.ProcessEnv): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`env file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      return;
    }
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) {
      problems.push(`env file ${file} line ${index + 1} is not KEY=value`);
      return;
    }
    const key = match[1] as string;
    let value = match[2] as string;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted !== null) {
      value = quoted[2] as string;
    }
    if (env[key] === undefined) {
      env[key] = value;
    }
  });
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
}

interface Finding {
  ok: boolean;
  what: string;
  fix?: string;
}

async function checkWordPress(config: Config, io: CliIo, findings: Finding[]): Promise<void> {
  if (config.wpUrl === undefined) {
    findings.push({
      ok: false,
      what: 'WP_URL is not set',
      fix: 'set WP_URL to the site address, e.g. WP_URL=https://example.com (the sidecar writes sync results back there)',
    });
    return;
  }
  const statusUrl = `${config.wpUrl.replace(/\/+$/, '')}/wp-json${restRoutePrefix}/status`;
  let status: { data?: { plugin_version?: unknown } } | undefined;
  try {
    const res = await io.fetch(statusUrl, { signal: AbortSignal.timeout(10_000), redirect: 'manual' });
    const text = await res.text();
    try {
      status = JSON.parse(text) as typeof status;
    } catch {
      status = undefined;
    }
    if (res.status !== 200 || typeof status?.data?.plugin_version !== 'string') {
      findings.push({
        ok: false,
        what: `WordPress at ${config.wpUrl} answered HTTP ${res.status} without the IGNY8 Bridge status`,
        fix: `check that WP_URL is the site address and the IGNY8 Bridge plugin is active (${statusUrl} must answer)`,
      });
      return;
    }
  } catch (error) {
    findings.push({
      ok: false,
      what: `WordPress at ${config.wpUrl} is not reachable (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`,
      fix: 'check WP_URL, DNS and firewalls from this host; for https, the certificate must be valid for this host',
    });
    return;
  }
  findings.push({ ok: true, what: `WordPress at ${config.wpUrl} answers: IGNY8 Bridge ${status.data?.plugin_version as string}` });

  const keyRing = keyRingFromConfig(config);
  if (keyRing.site.get() === undefined) {
    findings.push({
      ok: false,
      what: 'the site id is not known yet, so no signed call can be made (the keys are bound to it)',
      fix: 'copy the IGNY8_SIDECAR_SITE_ID line from Settings -> IGNY8 -> Sidecar into this sidecar\'s env, or let WordPress call the sidecar once',
    });
    return;
  }
  const client = new WordPressInternalClient({
    wpUrl: config.wpUrl,
    keyRing,
    logger: createLogger({ level: 'silent' }),
    fetch: io.fetch,
    timeoutMs: 10_000,
  });
  try {
    await client.run([{ op: 'site_info' }]);
    findings.push({ ok: true, what: 'the site accepts this sidecar\'s signature: the secret matches' });
  } catch (error) {
    const message = (error as Error).message;
    const fix = /SIDECAR_VERSION_MISMATCH/.test(message)
      ? `the plugin and this sidecar (${SIDECAR_VERSION}, protocol ${PROTOCOL_VERSION}) are more than one minor version apart: install both from the same release (Settings -> IGNY8 shows the plugin's)`
      : /HTTP 401|SIDECAR_AUTH_MISMATCH/.test(message)
        ? 'the secret or the site id differs from the site\'s: copy the IGNY8_SIDECAR_SECRET and IGNY8_SIDECAR_SITE_ID lines from Settings -> IGNY8 -> Sidecar (or from wp-config.php), then restart the sidecar'
        : 'see the message above; the site\'s PHP error log has more';
    findings.push({ ok: false, what: `WordPress refused a signed call: ${message}`, fix });
  }
}

async function checkIgny8(config: Config, io: CliIo, findings: Finding[]): Promise<void> {
  const base = config.sync.apiBaseUrl;
  if (base === undefined) {
    findings.push({
      ok: true,
      what: 'IGNY8: the base URL comes from the site settings (Settings -> IGNY8); not probed here (set IGNY8_API_BASE_URL to probe it)',
    });
    return;
  }
  try {
    const res = await io.fetch(`${base.replace(/\/+$/, '')}/api/v1/auth/sites/`, {
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    findings.push({ ok: true, what: `IGNY8 at ${base} answers (HTTP ${res.status})` });
  } catch (error) {
    findings.push({
      ok: false,
      what: `IGNY8 at ${base} is not reachable (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`,
      fix: 'check IGNY8_API_BASE_URL, and that this host may open outbound https connections',
    });
  }
}

function checkDataDir(config: Config, findings: Finding[]): void {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
    findings.push({ ok: true, what: `data folder ${config.dataDir} is writable` });
  } catch (error) {
    findings.push({
      ok: false,
      what: `data folder ${config.dataDir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: 'set SIDECAR_DATA_DIR to a folder the sidecar\'s user owns (the systemd unit uses /var/lib/igny8-sidecar)',
    });
  }
}

export async function check(io: CliIo): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`✗ ${error.message}\n  fix: set the variables named above (igny8-sidecar --help; the README lists every variable)\n`);
      return 78;
    }
    throw error;
  }
  const findings: Finding[] = [{ ok: true, what: `configuration is valid (listening on ${config.tls ? 'https' : 'http'}://${config.host}:${config.port})` }];
  checkDataDir(config, findings);
  await checkWordPress(config, io, findings);
  await checkIgny8(config, io, findings);
  for (const finding of findings) {
    io.out(`${finding.ok ? '✓' : '✗'} ${finding.what}\n${finding.fix ? `  fix: ${finding.fix}\n` : ''}`);
  }
  const bad = findings.filter((finding) => !finding.ok).length;
  io.out(bad === 0 ? 'All checks passed.\n' : `${bad} problem${bad === 1 ? '' : 's'} found.\n`);
  return bad === 0 ? 0 : 1;
}

/** Runs the command line; resolves to the exit code (`start` resolves only when it fails to start). */
/** Applies `--env-file`, if given; false (after saying why) when the file cannot be read (exit 78, EX_CONFIG). */
function loadEnvFile(envFile: string | undefined, io: CliIo): boolean {
  if (envFile === undefined || envFile === '') {
    return true;
  }
  try {
    applyEnvFile(envFile, io.env);
    return true;
  } catch (error) {
    io.err(`igny8-sidecar: ${(error as Error).message}\n`);
    return false;
  }
}

export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const args = [...argv];
  let envFile = io.env.IGNY8_SIDECAR_ENV_FILE;
  const fileFlag = args.findIndex((arg) => arg === '--env-file' || arg.startsWith('--env-file='));
  if (fileFlag !== -1) {
    const flag = args[fileFlag] as string;
    envFile = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : args[fileFlag + 1];
    args.splice(fileFlag, flag.includes('=') ? 1 : 2);
    if (envFile === undefined || envFile === '') {
      io.err('igny8-sidecar: --env-file needs a file name\n');
      return 64;
    }
  }
  const command = args[0] ?? '--help';
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(`${SIDECAR_VERSION}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return 0;
  }
  if (command === 'sites') {
    if (!loadEnvFile(envFile, io)) {
      return 78;
    }
    const { sitesCommand } = await import('./sites-cli.ts');
    return sitesCommand(args.slice(1), io);
  }
  if (command !== 'start' && command !== 'check') {
    io.err(`igny8-sidecar: unknown command "${command}"\n\n${HELP}`);
    return 64;
  }
  if (command === 'start' && args[1] === '--multi-site') {
    // One deployment serving every enrolled site (PostgreSQL): the same switch as IGNY8_SIDECAR_MULTI_SITE=1.
    io.env.IGNY8_SIDECAR_MULTI_SITE = '1';
    args.splice(1, 1);
  }
  if (args.length > 1) {
    io.err(`igny8-sidecar: unexpected argument "${args[1]}"\n`);
    return 64;
  }
  if (!loadEnvFile(envFile, io)) {
    return 78;
  }
  if (command === 'check') {
    return check(io);
  }
  // The server module owns the process from here (signals, exit codes).
  await import('./server.ts');
  return new Promise<number>(() => undefined);
}
