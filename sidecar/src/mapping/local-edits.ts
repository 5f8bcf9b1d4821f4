/**
 * WordPress edits of managed posts (issue #13 §4), in IGNY8's terms. PHP compares the post fields with the hashes of
 * IGNY8's last write (contract `meta.local_edits`) and names WordPress fields; IGNY8 sent `title`, `content_html` and
 * `excerpt`, so that is what its answers name. The republish policy (setting `igny8_republish_policy`) decides what
 * a republish of an edited post does: `overwrite` keeps the editor's version as a revision and warns, `keep_local`
 * refuses with 409 `LOCAL_EDITS` unless the payload says `"force": true`.
 */
import { z } from 'zod';

import { AppError } from '../contract/errors.ts';
import type { OpFailure } from '../protocol/messages.ts';
import type { PublishWarning } from './publish/payload.ts';

export type RepublishPolicy = 'overwrite' | 'keep_local';

/** The `local_edits` argument of `upsert_post`. */
export type LocalEditsArg = 'overwrite' | 'refuse';

const PAYLOAD_FIELD: Readonly<Record<string, string>> = {
  post_title: 'title',
  post_content: 'content_html',
  post_excerpt: 'excerpt',
};

export function republishPolicy(settings: Record<string, unknown>): RepublishPolicy {
  return settings.igny8_republish_policy === 'keep_local' ? 'keep_local' : 'overwrite';
}

export function localEditsArg(policy: RepublishPolicy, force: boolean): LocalEditsArg {
  return policy === 'keep_local' && !force ? 'refuse' : 'overwrite';
}

/** WordPress field names → the payload fields IGNY8 sent (unknown names are dropped). */
export function payloadFields(fields: readonly string[]): string[] {
  return fields.flatMap((field) => (PAYLOAD_FIELD[field] === undefined ? [] : [PAYLOAD_FIELD[field]]));
}

/** What `upsert_post` reports when it overwrote an edited post. */
export const OverwrittenEdits = z.object({
  fields: z.array(z.string()),
  revision_id: z.int().positive().nullable(),
  revisions_enabled: z.boolean(),
});
export type OverwrittenEdits = z.infer<typeof OverwrittenEdits>;

export function overwrittenWarning(edits: OverwrittenEdits): PublishWarning {
  const fields = payloadFields(edits.fields);
  const kept =
    edits.revision_id !== null
      ? `the edited version is kept as revision ${edits.revision_id}`
      : edits.revisions_enabled
        ? 'WordPress did not store a revision of the edited version'
        : 'this post type keeps no revisions, so the edited version is gone';
  return {
    code: 'LOCAL_EDITS_OVERWRITTEN',
    message: `The post was edited in WordPress (${fields.join(', ')}) and IGNY8's version replaced it; ${kept}.`,
    field: fields[0] ?? 'content_html',
    revision_id: edits.revision_id,
  };
}

/** `upsert_post` refused (`local_edits: "refuse"`): 409 LOCAL_EDITS naming the edited fields. */
export function localEditsRefusal(failure: OpFailure): AppError | undefined {
  if (failure.error.code !== 'LOCAL_EDITS') {
    return undefined;
  }
  const details = z.object({ fields: z.array(z.string()) }).safeParse((failure.error as { details?: unknown }).details);
  const fields = payloadFields(details.success ? details.data.fields : []);
  return new AppError(
    'LOCAL_EDITS',
    `The post was edited in WordPress (${fields.join(', ') || 'content'}) and the republish policy keeps local edits; nothing was written. Send "force": true to overwrite them.`,
    { field: fields[0] ?? 'content_html', details: { fields } },
  );
}
