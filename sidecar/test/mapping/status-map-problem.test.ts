import { describe, expect, it } from 'vitest';

import { statusMapProblem } from '../../src/mapping/status-map.ts';

describe('statusMapProblem (the settings screen\'s status-map editor)', () => {
  it('accepts overrides of known statuses to allowed results, and none', () => {
    expect(statusMapProblem('igny8_to_wp', {})).toBeUndefined();
    expect(statusMapProblem('igny8_to_wp', { completed: 'private', review: 'draft' })).toBeUndefined();
    expect(statusMapProblem('wp_to_igny8', { draft: 'pending', future: 'scheduled' })).toBeUndefined();
  });

  it('refuses a status the map does not have, and a result the other side cannot take', () => {
    expect(statusMapProblem('igny8_to_wp', { bogus: 'draft' })).toMatch(/^"bogus" is not a status this map has/);
    expect(statusMapProblem('igny8_to_wp', { completed: 'inherit' })).toBe('"completed" cannot map to "inherit": choose one of publish, future, draft, pending, private, trash.');
    expect(statusMapProblem('wp_to_igny8', { publish: 'done' })).toMatch(/^"publish" cannot map to "done"/);
  });
});
