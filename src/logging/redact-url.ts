/** A connection URL fit for logs and errors: its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/**
 * A request URL fit for logs: every `token` query parameter's value replaced by `***`. Bearer
 * tokens ride in `?token=` (a browser cannot set headers on a WebSocket or a page load), and a
 * log line must never hold one: logs are read by more people than the tokens are meant for.
 * Works on a path with a query (`/ws?token=…`) as on a full URL. A name is compared decoded, as
 * the server reads it (`%74oken` is `token` too); the rest is left as it came, so the line
 * still shows what was sent.
 */
export function redactTokenParam(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  // All of the rest, '#' included: a request line has no fragment, and tokenFromUrl reads
  // `?a#&token=x` as a token too.
  const pairs = url.slice(q + 1).split('&');
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i].indexOf('=');
    const name = eq < 0 ? pairs[i] : pairs[i].slice(0, eq);
    if (eq >= 0 && decodedName(name) === 'token') pairs[i] = `${name}=***`;
  }
  return `${url.slice(0, q + 1)}${pairs.join('&')}`;
}

/** A query parameter's name as URLSearchParams reads it ('+' is a space), or itself if undecodable. */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
