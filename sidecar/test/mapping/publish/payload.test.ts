import { describe, expect, it } from 'vitest';

import { AppError } from '../../../src/contract/errors.ts';
import { parsePublishPayload } from '../../../src/mapping/publish/payload.ts';

const minimal = { content_id: 42, title: 'Hello', content_html: '<p>Hi</p>' };

function rejected(body: unknown): AppError {
  try {
    parsePublishPayload(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('payload was accepted');
}

describe('parsePublishPayload', () => {
  it('reads spelling A (integration reference)', () => {
    const req = parsePublishPayload({
      ...minimal,
      task_id: 7,
      meta_title: 'SEO',
      meta_description: 'Desc',
      primary_keyword: 'kw',
      secondary_keywords: ['a', 'b'],
      keyword_ids: [1, 2],
      cluster_id: 45,
      cluster_name: 'Running shoes',
      sector_id: 12,
      categories: ['Guides', { name: 'News' }],
      tags: ['x'],
      featured_image: { url: 'https://img.example/a.jpg', alt: 'Alt', caption: 'Cap' },
    });
    expect(req).toMatchObject({
      contentId: 42,
      taskId: 7,
      seoTitle: 'SEO',
      seoDescription: 'Desc',
      primaryKeyword: 'kw',
      secondaryKeywords: ['a', 'b'],
      keywordIds: [1, 2],
      clusters: [{ id: 45, name: 'Running shoes' }],
      sectors: [{ id: 12, name: undefined }],
      categories: ['Guides', 'News'],
      featuredImage: { url: 'https://img.example/a.jpg', alt: 'Alt', caption: 'Cap' },
      contentType: 'post',
    });
    expect(req.warnings).toEqual([]);
  });

  it('reads spelling B (publishing task)', () => {
    const req = parsePublishPayload({
      ...minimal,
      seo_title: 'SEO B',
      seo_description: 'Desc B',
      focus_keywords: ['main', 'second', 'third'],
      published_at: '2030-01-02T03:04:05Z',
      clusters: [{ id: 9, name: 'C9' }, 'Loose name'],
      sectors: ['Health'],
      featured_image_url: 'https://img.example/b.png',
      author_email: 'Writer@Example.com',
    });
    expect(req).toMatchObject({
      seoTitle: 'SEO B',
      seoDescription: 'Desc B',
      primaryKeyword: 'main',
      secondaryKeywords: ['second', 'third'],
      clusters: [{ id: 9, name: 'C9' }, { name: 'Loose name' }],
      sectors: [{ name: 'Health' }],
      featuredImage: { url: 'https://img.example/b.png' },
      authorEmail: 'Writer@Example.com',
    });
    expect(req.publishedAt?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
  });

  it('treats null as absent (the backend serialises Python None)', () => {
    const req = parsePublishPayload({ ...minimal, task_id: null, meta_title: null, cluster_id: null, categories: null, featured_image: null });
    expect(req.taskId).toBeUndefined();
    expect(req.seoTitle).toBeUndefined();
    expect(req.clusters).toBeUndefined();
    expect(req.categories).toBeUndefined();
    expect(req.featuredImage).toBeUndefined();
  });

  it('accepts digit-string ids', () => {
    expect(parsePublishPayload({ ...minimal, content_id: '42', task_id: '8' })).toMatchObject({ contentId: 42, taskId: 8 });
  });

  it('lists unknown fields as warnings instead of failing', () => {
    const req = parsePublishPayload({ ...minimal, shiny_new_field: 1 });
    expect(req.warnings).toEqual([{ code: 'UNKNOWN_FIELD', message: expect.stringContaining('shiny_new_field'), field: 'shiny_new_field' }]);
  });

  it.each([
    [{ title: 'x', content_html: 'y' }, 'content_id'],
    [{ ...minimal, content_id: 0 }, 'content_id'],
    [{ ...minimal, content_id: -3 }, 'content_id'],
    [{ ...minimal, content_id: 1.5 }, 'content_id'],
    [{ ...minimal, content_id: '12abc' }, 'content_id'],
    [{ ...minimal, content_id: '../../etc/passwd' }, 'content_id'],
    [{ ...minimal, content_id: 2 ** 60 }, 'content_id'],
    [{ content_id: 1, content_html: 'y' }, 'title'],
    [{ ...minimal, title: '   ' }, 'title'],
    [{ ...minimal, title: ['array'] }, 'title'],
    [{ content_id: 1, title: 'x' }, 'content_html'],
    [{ ...minimal, content_type: 'attachment' }, 'content_type'],
    [{ ...minimal, keyword_ids: ['a'] }, 'keyword_ids.0'],
    [{ ...minimal, published_at: 'yesterday-ish' }, 'published_at'],
    [{ ...minimal, tags: 'not-an-array' }, 'tags'],
  ])('refuses %j with VALIDATION_FAILED naming %s', (body, field) => {
    const error = rejected(body);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(422);
    expect(error.field).toBe(field);
  });

  it.each([
    [{ title: 'x', content_html: 'y' }, 'content_id is required.'],
    [{ ...minimal, content_html: null }, 'content_html is required.'],
    [{ ...minimal, content_html: 5 }, 'content_html: Invalid input: expected string, received number.'],
    [{ ...minimal, title: ['array'] }, 'title: Invalid input: expected string, received array.'],
    [{ ...minimal, content_id: 1.5 }, 'content_id: must be a positive integer (a number or a string of digits).'],
    [{ ...minimal, keyword_ids: ['a'] }, 'keyword_ids.0: must be a positive integer (a number or a string of digits).'],
    [{ ...minimal, featured_image: 7 }, 'featured_image: must be an image URL or an object with a url.'],
    [{ ...minimal, clusters: [true] }, 'clusters.0: must be a term name or an object with an id and/or a name.'],
  ])('says what is wrong with %j: %s', (body, message) => {
    expect(rejected(body).message).toBe(message);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'text', 42]) {
      expect(rejected(body).code).toBe('VALIDATION_FAILED');
    }
  });
});
