import { describe, expect, it } from 'vitest';

import { AppError } from '../../../src/contract/errors.ts';
import { parsePublishPayload } from '../../../src/mapping/publish/payload.ts';
import { planPublish, type PublishContext } from '../../../src/mapping/publish/plan.ts';
import { activeStatusMap } from '../../../src/mapping/status-map.ts';
import { publishContext } from '../../helpers/publish-context.ts';

const ctx = publishContext({ clock: { timezone: 'Europe/Berlin' } });
const base = { content_id: 42, title: 'Hello <b>world</b>', content_html: '<p>Hi</p>' };
const plan = (body: Record<string, unknown>, context: Partial<PublishContext> = {}) =>
  planPublish(parsePublishPayload({ ...base, ...body }), { ...ctx, ...context });

describe('planPublish', () => {
  it('writes every meta key of the SPEC table, SEO plugins included', () => {
    const { op } = plan({
      task_id: 7,
      meta_title: 'SEO title',
      meta_description: 'SEO desc',
      primary_keyword: 'kw',
      secondary_keywords: ['a, b', 'c'],
      keyword_ids: [1, 2],
      content_structure: 'guide',
      cluster_id: 45,
      sector_id: 12,
      sector_name: 'Health',
    });
    expect(op.meta).toEqual({
      _igny8_content_id: 42,
      _igny8_task_id: 7,
      _igny8_source: 'igny8',
      _igny8_content_type: 'post',
      _igny8_content_structure: 'guide',
      _igny8_wordpress_status: 'draft',
      _igny8_last_synced: '2026-06-01 14:00:00',
      _igny8_meta_title: 'SEO title',
      _yoast_wpseo_title: 'SEO title',
      _seopress_titles_title: 'SEO title',
      _aioseo_title: 'SEO title',
      rank_math_title: 'SEO title',
      _igny8_meta_description: 'SEO desc',
      _yoast_wpseo_metadesc: 'SEO desc',
      _seopress_titles_desc: 'SEO desc',
      _aioseo_description: 'SEO desc',
      rank_math_description: 'SEO desc',
      _igny8_primary_keyword: 'kw',
      _yoast_wpseo_focuskw: 'kw',
      _igny8_secondary_keywords: '["a, b","c"]',
      rank_math_focus_keyword: 'kw,a  b,c',
      _seopress_analysis_target_kw: 'kw,a  b,c',
      _igny8_keyword_ids: '[1,2]',
      _igny8_cluster_id: 45,
      _igny8_sector_id: 12,
    });
    expect(op.terms).toEqual({
      igny8_clusters: [{ name: 'Cluster 45', igny8_id: 45, placeholder: true }],
      igny8_sectors: [{ name: 'Health', igny8_id: 12 }],
    });
    expect(op.post.post_title).toBe('Hello world');
  });

  it('only touches the taxonomies the payload names, so a republish replaces them', () => {
    expect(plan({ categories: ['Guides'], tags: [] }).op.terms).toEqual({ category: [{ name: 'Guides' }], post_tag: [] });
  });

  it.each([
    ['completed', 'publish'],
    ['published', 'publish'],
    ['review', 'pending'],
    ['archived', 'trash'],
    ['something-new', 'draft'],
  ])('maps IGNY8 status %s to %s', (status, wp) => {
    expect(plan({ status }).op.post.post_status).toBe(wp);
  });

  it('uses the default status from settings when none is sent', () => {
    expect(plan({}, { defaultStatus: 'pending' }).op.post.post_status).toBe('pending');
  });

  it('honours a site override of the status map', () => {
    expect(plan({ status: 'completed' }, { statusMap: activeStatusMap({ igny8_status_map_igny8_to_wp: { completed: 'private' } }) }).op.post.post_status).toBe('private');
  });

  it('schedules with a future published_at, publishes with a past one', () => {
    const future = plan({ status: 'publish', published_at: '2026-07-01T08:00:00Z' }).op.post;
    expect(future).toMatchObject({ post_status: 'future', post_date_gmt: '2026-07-01 08:00:00' });
    expect(plan({ status: 'scheduled', published_at: '2026-01-01T08:00:00Z' }).op.post.post_status).toBe('publish');
  });

  it('turns "scheduled" without a date into a draft, with a warning', () => {
    const result = plan({ status: 'scheduled' });
    expect(result.op.post.post_status).toBe('draft');
    expect(result.warnings.map((w) => w.code)).toContain('SCHEDULE_WITHOUT_DATE');
  });

  it('removes script and style elements with their contents', () => {
    const { op, warnings } = plan({ content_html: '<p>ok</p><script>alert(1)</script><STYLE>p{}</STYLE><scr<script>x</script>ipt>alert(2)</script>' });
    expect(op.post.post_content).not.toMatch(/<script|alert\(1\)|p\{\}/i);
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'CONTENT_SANITIZED', field: 'content_html' }));
    expect(plan({ content_html: '<p>clean</p>' }).warnings).toEqual([]);
  });

  it('plans one row for AIOSEO 4\'s aioseo_posts table (title, description, keyphrases) with the SEO fields', () => {
    const { op } = plan({ meta_title: 'T <b>x</b>', meta_description: 'D', primary_keyword: 'main', secondary_keywords: ['two', 'three'] });
    expect(op.seo_rows).toEqual({
      aioseo_posts: {
        title: 'T x',
        description: 'D',
        keyphrases: JSON.stringify({ focus: { keyphrase: 'main' }, additional: [{ keyphrase: 'two' }, { keyphrase: 'three' }] }),
      },
    });
    expect(plan({ meta_title: 'Only title' }).op.seo_rows).toEqual({ aioseo_posts: { title: 'Only title' } });
    expect(plan({}).op).not.toHaveProperty('seo_rows');
  });

  it('stores native blocks by default and the HTML as sent with igny8_content_format "html"', () => {
    expect(plan({ content_html: '<p>Hi</p>' }).op.post.post_content).toBe('<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph -->');
    expect(plan({ content_html: '<p>Hi</p><script>x()</script>' }, { contentFormat: 'html' }).op.post.post_content).toBe('<p>Hi</p>');
    // The site's version picks the markup: headings carry their class from 6.2 on.
    expect(plan({ content_html: '<h2>T</h2>' }, { wpVersion: '6.5.5' }).op.post.post_content).toContain('<h2 class="wp-block-heading">T</h2>');
  });

  it('refuses post types the settings do not allow, taxonomies, and products without WooCommerce', () => {
    const code = (body: Record<string, unknown>, context: Partial<PublishContext> = {}) => {
      try {
        plan(body, context);
        return 'accepted';
      } catch (error) {
        return (error as AppError).code;
      }
    };
    expect(code({ content_type: 'page' }, { allowedPostTypes: ['post'] })).toBe('POST_TYPE_NOT_ALLOWED');
    expect(code({ content_type: 'taxonomy' })).toBe('UNSUPPORTED_CONTENT_TYPE');
    expect(code({ content_type: 'product' }, { allowedPostTypes: ['post', 'product'] })).toBe('UNSUPPORTED_CONTENT_TYPE');
    expect(code({ content_type: 'product' }, { allowedPostTypes: ['post', 'product'], woocommerceActive: true })).toBe('accepted');
  });

  it('passes images through, refusing non-http schemes and capping the count', () => {
    const result = plan({
      featured_image: { url: 'file:///etc/passwd', alt: 'x' },
      gallery_images: Array.from({ length: 12 }, (_, i) => `https://img.example/${i}.jpg`),
    });
    expect(result.op.featured_image).toBeUndefined();
    expect(result.op.gallery).toHaveLength(10);
    expect(result.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['IMAGE_REFUSED', 'TOO_MANY_IMAGES']));
  });
});
