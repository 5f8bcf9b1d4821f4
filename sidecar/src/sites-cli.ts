/**
 * `igny8-sidecar sites …`: the operator's commands of a hosted sidecar (issue #16 §2), straight on its PostgreSQL
 * store (IGNY8_SIDECAR_DATABASE_URL; the credentials key seals the sites' signing secrets). Loaded lazily by cli.ts.
 *
 *   sites enroll --url https://site… [--ttl-minutes 60]   a single-use enrolment code for that WordPress URL
 *   sites list | show ID | disable ID | enable ID | remove ID
 *   sites rotate ID     a new signing secret for the site, printed once (the old one stops verifying at once)
 *   sites reseal        every sealed value sealed again with the current credentials key (key rotation)
 */
import { CredentialCipher } from './adapters/credential-cipher.ts';
import type { ResealCounts } from './adapters/credential-reseal.ts';
import { PgDatabase } from './adapters/pg-store.ts';
import { SiteRegistry, type SiteRecord } from './adapters/site-registry.ts';
import type { CliIo } from './cli.ts';
import { readCredentialsKey, readPreviousCredentialsKeys } from './config.ts';

export const SITES_HELP = `Usage (hosted sidecar; needs IGNY8_SIDECAR_DATABASE_URL and the credentials key):
  igny8-sidecar sites enroll --url https://site.example [--ttl-minutes 60]   print a single-use enrolment code
  igny8-sidecar sites list                                                   every site: id, status, key id, URL
  igny8-sidecar sites show SITE_ID | disable SITE_ID | enable SITE_ID | remove SITE_ID
  igny8-sidecar sites rotate SITE_ID                                         a new signing secret, printed once
  igny8-sidecar sites reseal                                                 seal every site's secrets with the current
                                                                             credentials key (IGNY8_SIDECAR_CREDENTIALS_KEY;
                                                                             the old one in IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS)
`;

const countsText = (counts: ResealCounts) =>
  `${counts.resealed} resealed, ${counts.current} already current, ${counts.missingKey} with a key not given, ${counts.unreadable} unreadable, ${counts.changed} changed meanwhile`;

const line = (site: SiteRecord) => `${site.siteId}\t${site.status}\t${site.keyId}\t${site.wpUrl}\n`;

export async function sitesCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const url = io.env.IGNY8_SIDECAR_DATABASE_URL;
  if (action === undefined || action === '--help') {
    io.out(SITES_HELP);
    return action === undefined ? 64 : 0;
  }
  const problems: string[] = [];
  const key = readCredentialsKey(io.env, io.env.SIDECAR_DATA_DIR ?? '.igny8/sidecar', problems);
  const previous = readPreviousCredentialsKeys(io.env, io.env.SIDECAR_DATA_DIR ?? '.igny8/sidecar', problems);
  if (url === undefined || url === '' || key === undefined || problems.length > 0) {
    io.err(`igny8-sidecar sites: ${[...problems, ...(url ? [] : ['IGNY8_SIDECAR_DATABASE_URL is not set']), ...(key || problems.length ? [] : ['the credentials key is not set (IGNY8_SIDECAR_CREDENTIALS_KEY or _FILE)'])].join('; ')}\n`);
    return 78;
  }
  const db = await PgDatabase.open({ url, poolSize: 2 });
  try {
    const registry = new SiteRegistry(db, new CredentialCipher(key, previous));
    if (action === 'enroll') {
      const at = rest.indexOf('--url');
      const siteUrl = at === -1 ? undefined : rest[at + 1];
      const ttlAt = rest.indexOf('--ttl-minutes');
      const ttl = ttlAt === -1 ? 60 : Number(rest[ttlAt + 1]);
      if (siteUrl === undefined || !Number.isFinite(ttl) || ttl <= 0 || ttl > 7 * 24 * 60) {
        io.err(`igny8-sidecar sites enroll: --url https://site… is required; --ttl-minutes is 1…10080\n`);
        return 64;
      }
      const { code, expiresAt } = await registry.createEnrolment(siteUrl, ttl * 60_000);
      io.out(`enrolment code for ${siteUrl} (single use, expires ${new Date(expiresAt).toISOString()}):\n${code}\n`);
      return 0;
    }
    if (action === 'reseal') {
      const { current } = registry.credentialKeyIds;
      io.out(`sealing every site's secrets with the current credentials key ${current}\n`);
      const done = await registry.resealAll(({ done, total, siteId, counts }) => {
        if (counts.resealed + counts.missingKey + counts.unreadable + counts.changed > 0 || done === total || done % 100 === 0) {
          io.out(`[${done}/${total}] ${siteId}: ${countsText(counts)}\n`);
        }
      });
      io.out(`${done.sites} sites: ${countsText(done)}\n`);
      const left = [...(await registry.sealedKeyIds())].filter(([kid]) => kid !== current);
      if (left.length === 0) {
        io.out(`every sealed value names key ${current}: the previous keys can be retired (unset IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS, restart the replicas)\n`);
        return 0;
      }
      io.err(`still sealed with another key: ${left.map(([kid, n]) => `${kid} (${n}${registry.credentialKeyIds.known.includes(kid) ? '' : ', key not given'})`).join(', ')}: keep those keys${done.changed > 0 ? '; run it again for the values changed meanwhile (a replica still on the old key?)' : ''}\n`);
      return 1;
    }
    if (action === 'list') {
      for (const site of await registry.list()) {
        io.out(line(site));
      }
      return 0;
    }
    const siteId = rest[0];
    if (action === 'rotate' && siteId !== undefined) {
      const issued = await registry.issueSecret(siteId);
      if (issued === undefined) {
        io.err(`igny8-sidecar sites: no site ${siteId}\n`);
        return 1;
      }
      io.out(
        `rotated ${siteId}: the old secret no longer verifies. New key id ${issued.keyId}; the secret (shown once):\n${issued.secret}\n` +
          `The site signs nothing the sidecar accepts until its wp-config.php has define( 'IGNY8_SIDECAR_SECRET', '<the secret>' ); ` +
          `(or remove the site and enrol it again with a new code).\n`,
      );
      return 0;
    }
    if (siteId === undefined || !['show', 'disable', 'enable', 'remove'].includes(action)) {
      io.err(`igny8-sidecar sites: unknown or incomplete command\n\n${SITES_HELP}`);
      return 64;
    }
    const found =
      action === 'show'
        ? await registry.get(siteId)
        : action === 'remove'
          ? await registry.remove(siteId)
          : await registry.setStatus(siteId, action === 'disable' ? 'disabled' : 'active');
    if (found === undefined || found === false) {
      io.err(`igny8-sidecar sites: no site ${siteId}\n`);
      return 1;
    }
    io.out(typeof found === 'object' ? line(found) : `${action}d ${siteId}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
