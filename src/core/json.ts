/**
 * @module core/json
 * Reading a body that ought to be JSON without trusting it to be: carrier answers, token
 * endpoint answers and probe answers all arrive as text that may be an HTML error page or
 * nothing at all, and each reader decides what a missing body means for it.
 */

/** The parsed body, or undefined when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
