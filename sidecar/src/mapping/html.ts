/**
 * Text hygiene done in the sidecar before anything reaches WordPress. PHP still runs `wp_kses_post` and
 * `sanitize_text_field` on what it writes (defence in depth), but kses keeps the *text* of `<script>` and
 * `<style>` elements, so those are removed here with their contents.
 */
const DANGEROUS_ELEMENTS = /<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const DANGEROUS_OPEN_TAIL = /<(script|style)\b[\s\S]*$/i;

export function stripDangerousElements(html: string): string {
  let previous: string;
  let current = html;
  // Repeat: nested or split tags (`<scr<script></script>ipt>`) must not reassemble into a live one.
  do {
    previous = current;
    current = current.replace(DANGEROUS_ELEMENTS, '');
  } while (current !== previous);
  return current.replace(DANGEROUS_OPEN_TAIL, '');
}

/** Like WordPress's `sanitize_text_field`: no tags, no line breaks or control characters, trimmed. */
export function plainText(value: string): string {
  return stripDangerousElements(value)
    .replace(/<[^>]*>?/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
