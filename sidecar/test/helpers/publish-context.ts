/** The site a publish is planned for in the mapping tests: WordPress 6.1, posts and pages, the default maps. */
import type { PublishContext } from '../../src/mapping/publish/plan.ts';
import { activeStatusMap } from '../../src/mapping/status-map.ts';

export const PLAN_NOW = new Date('2026-06-01T12:00:00Z');

export function publishContext(overrides: Partial<PublishContext> = {}): PublishContext {
  return {
    contentFormat: 'blocks',
    wpVersion: '6.1.9',
    allowedPostTypes: ['post', 'page'],
    defaultStatus: 'draft',
    statusMap: activeStatusMap(),
    woocommerceActive: false,
    republishPolicy: 'overwrite',
    clock: { timezone: 'UTC' },
    now: PLAN_NOW,
    ...overrides,
  };
}
