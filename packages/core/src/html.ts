/**
 * HTML escaping for text that sluice places in pages it generates (error pages, redirect
 * bodies). A leaf: imports nothing, so both the error renderer and `ctx.response` stand above it.
 * Must never grow into templating.
 */

/** Minimal HTML escaping for text placed in generated pages: `& < > " '` become character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
