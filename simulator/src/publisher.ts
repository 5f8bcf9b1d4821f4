/**
 * The simulator's publisher client: sends content to a WordPress site the way the IGNY8 backend does,
 * in either of the two payload spellings that IGNY8 has used (SPEC §5).
 */
export type Spelling = 'A' | 'B';

export interface SampleContent {
	contentId: number;
	taskId?: number;
	title: string;
	html: string;
	status?: string;
	cluster?: { id: number; name?: string };
	sector?: { id: number; name?: string };
	categories?: string[];
	tags?: string[];
	primaryKeyword?: string;
	secondaryKeywords?: string[];
	keywordIds?: number[];
	metaTitle?: string;
	metaDescription?: string;
	featuredImageUrl?: string;
	publishedAt?: string;
	authorEmail?: string;
}

/** Spelling A: the integration reference (cluster_id, meta_title, featured_image object). */
export function payloadA( c: SampleContent ): Record< string, unknown > {
	return {
		content_id: c.contentId,
		task_id: c.taskId ?? null,
		title: c.title,
		content_html: c.html,
		content_type: 'post',
		content_structure: 'article',
		meta_title: c.metaTitle ?? c.title,
		meta_description: c.metaDescription ?? null,
		primary_keyword: c.primaryKeyword ?? null,
		secondary_keywords: c.secondaryKeywords ?? [],
		keyword_ids: c.keywordIds ?? [],
		status: c.status ?? 'draft',
		cluster_id: c.cluster?.id ?? null,
		cluster_name: c.cluster?.name ?? null,
		sector_id: c.sector?.id ?? null,
		sector_name: c.sector?.name ?? null,
		categories: c.categories ?? [],
		tags: c.tags ?? [],
		featured_image: c.featuredImageUrl ? { url: c.featuredImageUrl, alt: `${ c.title } image`, caption: '' } : null,
	};
}

/** Spelling B: the publishing task (seo_title, focus_keywords, clusters[], featured_image_url, published_at). */
export function payloadB( c: SampleContent ): Record< string, unknown > {
	const focus = c.primaryKeyword ? [ c.primaryKeyword, ...( c.secondaryKeywords ?? [] ) ] : [];
	return {
		content_id: c.contentId,
		task_id: c.taskId ?? null,
		title: c.title,
		content_html: c.html,
		seo_title: c.metaTitle ?? c.title,
		seo_description: c.metaDescription ?? null,
		focus_keywords: focus,
		status: c.status ?? 'draft',
		published_at: c.publishedAt ?? null,
		clusters: c.cluster ? [ { id: c.cluster.id, name: c.cluster.name ?? null } ] : [],
		sectors: c.sector ? [ { id: c.sector.id, name: c.sector.name ?? null } ] : [],
		tags: c.tags ?? [],
		featured_image_url: c.featuredImageUrl ?? null,
		gallery_images: [],
		author_email: c.authorEmail ?? null,
	};
}

export interface PublishResult {
	status: number;
	body: unknown;
}

/** POSTs one payload to /wp-json/igny8/v1/publish-content/ with the API key in X-IGNY8-API-KEY. */
export async function publish(
	wpUrl: string,
	apiKey: string,
	payload: Record< string, unknown >,
	path = '/wp-json/igny8/v1/publish-content/'
): Promise< PublishResult > {
	const res = await fetch( wpUrl.replace( /\/$/, '' ) + path, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-IGNY8-API-KEY': apiKey },
		body: JSON.stringify( payload ),
		signal: AbortSignal.timeout( 60_000 ),
	} );
	const text = await res.text();
	let body: unknown = text;
	try {
		body = JSON.parse( text );
	} catch {
		// Keep the raw text: a non-JSON reply is itself a finding.
	}
	return { status: res.status, body };
}

export function sampleContent( n: number, overrides: Partial< SampleContent > = {} ): SampleContent {
	return {
		contentId: n,
		taskId: 10_000 + n,
		title: `Sample article ${ n }`,
		html: `<h2>Introduction ${ n }</h2><p>Body of article ${ n }.</p>`,
		status: 'draft',
		cluster: { id: 100 + ( n % 5 ), name: `Cluster ${ 100 + ( n % 5 ) }` },
		sector: { id: 200 + ( n % 3 ), name: `Sector ${ 200 + ( n % 3 ) }` },
		categories: [ 'Guides', 'News' ],
		tags: [ 'seo', `tag-${ n % 7 }` ],
		primaryKeyword: `keyword ${ n }`,
		secondaryKeywords: [ `secondary ${ n }a`, `secondary ${ n }b` ],
		keywordIds: [ n * 10 + 1, n * 10 + 2 ],
		metaTitle: `SEO title ${ n }`,
		metaDescription: `SEO description ${ n }`,
		...overrides,
	};
}
