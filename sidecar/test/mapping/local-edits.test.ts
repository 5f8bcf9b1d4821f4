import { describe, expect, it } from 'vitest';

import { errorEnvelope } from '../../src/contract/envelope.ts';
import { localEditsArg, localEditsRefusal, overwrittenWarning, republishPolicy } from '../../src/mapping/local-edits.ts';
import { parsePublishPayload } from '../../src/mapping/publish/payload.ts';
import { planPublish, type PublishContext } from '../../src/mapping/publish/plan.ts';
import { shapePublishResponse, UpsertPostResult } from '../../src/mapping/publish/response.ts';
import { activeStatusMap } from '../../src/mapping/status-map.ts';
import { PLAN_NOW, publishContext } from '../helpers/publish-context.ts';

const now = PLAN_NOW;
const ctx = publishContext({ contentFormat: 'html' });
const base = { content_id: 42, title: 'Hello', content_html: '<p>Hi</p>' };

describe('republish policy (issue #13 §4)', () => {
  it('reads the setting, overwrite by default and for anything unknown', () => {
    expect(republishPolicy({})).toBe('overwrite');
    expect(republishPolicy({ igny8_republish_policy: 'keep_local' })).toBe('keep_local');
    expect(republishPolicy({ igny8_republish_policy: 'nonsense' })).toBe('overwrite');
  });

  it('asks upsert_post to refuse local edits only under keep_local without force', () => {
    expect(localEditsArg('overwrite', false)).toBe('overwrite');
    expect(localEditsArg('keep_local', false)).toBe('refuse');
    expect(localEditsArg('keep_local', true)).toBe('overwrite');
    const op = (body: Record<string, unknown>, policy: PublishContext['republishPolicy']) =>
      planPublish(parsePublishPayload(body), { ...ctx, republishPolicy: policy }).op.local_edits;
    expect(op(base, 'overwrite')).toBe('overwrite');
    expect(op(base, 'keep_local')).toBe('refuse');
    expect(op({ ...base, force: true }, 'keep_local')).toBe('overwrite');
    expect(op({ ...base, force: false }, 'keep_local')).toBe('refuse');
  });

  it('"force" is a known payload field (no UNKNOWN_FIELD warning) and must be a boolean', () => {
    expect(parsePublishPayload({ ...base, force: true }).warnings).toEqual([]);
    expect(() => parsePublishPayload({ ...base, force: 'yes' })).toThrow(/force/);
  });

  it('a refusal is 409 LOCAL_EDITS naming the edited fields in the payload\'s terms', () => {
    const error = localEditsRefusal({ ok: false, error: { code: 'LOCAL_EDITS', message: 'x', details: { fields: ['post_title', 'post_content'] } } });
    expect(error?.status).toBe(409);
    const envelope = errorEnvelope('r-1', error!);
    expect(envelope).toMatchObject({ success: false, code: 'LOCAL_EDITS', field: 'title', fields: ['title', 'content_html'] });
    expect(envelope.error).toContain('"force": true');
    expect(localEditsRefusal({ ok: false, error: { code: 'CONFLICT', message: 'x' } })).toBeUndefined();
  });

  it('an overwrite warns LOCAL_EDITS_OVERWRITTEN naming the revision, or saying no revision is kept', () => {
    expect(overwrittenWarning({ fields: ['post_content'], revision_id: 77, revisions_enabled: true })).toEqual({
      code: 'LOCAL_EDITS_OVERWRITTEN',
      message: "The post was edited in WordPress (content_html) and IGNY8's version replaced it; the edited version is kept as revision 77.",
      field: 'content_html',
      revision_id: 77,
    });
    expect(overwrittenWarning({ fields: ['post_excerpt'], revision_id: null, revisions_enabled: false }).message).toContain('keeps no revisions');
  });

  it('the publish response carries the warning when upsert_post overwrote edits, and none otherwise', () => {
    const result = (extra: Record<string, unknown>) =>
      UpsertPostResult.parse({ ok: true, post_id: 5, created: false, post_type: 'post', post_status: 'draft', permalink: 'http://x/?p=5', term_ids: {}, ...extra });
    const summary = { contentId: 42, taskId: null, contentType: 'post', warnings: [] };
    const shaped = (extra: Record<string, unknown>) => shapePublishResponse(result(extra), summary, activeStatusMap(), ctx.clock, now).data.warnings;
    expect(shaped({})).toEqual([]);
    expect(shaped({ local_edits: { fields: ['post_title'], revision_id: 9, revisions_enabled: true } })).toMatchObject([
      { code: 'LOCAL_EDITS_OVERWRITTEN', revision_id: 9, field: 'title' },
    ]);
  });
});
