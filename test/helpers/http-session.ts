/**
 * A minimal browser for integration tests: a cookie jar over fetch that follows
 * redirects by hand, so a test can stop at the relying party's redirect URI.
 */
export class HttpSession {
  private cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.base);
    const headers = new Headers({ ...this.headers, ...(init.headers as Record<string, string> | undefined) });
    if (target.origin === new URL(this.base).origin && this.cookies.size) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { headers });
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  /** Follows redirects while they stay on the IdP; returns the last response and its URL. */
  async follow(res: Response, url: string, stopAt?: string): Promise<{ res: Response; url: string }> {
    let current = res;
    let currentUrl = url;
    for (let i = 0; i < 10 && current.status >= 300 && current.status < 400; i++) {
      const location = new URL(current.headers.get('location')!, currentUrl).toString();
      if (stopAt && location.startsWith(stopAt)) return { res: current, url: location };
      if (!location.startsWith(this.base)) return { res: current, url: location };
      currentUrl = location;
      current = await this.get(location);
    }
    return { res: current, url: currentUrl };
  }
}

export function formField(html: string, name: string): string | undefined {
  const re = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`);
  const alt = new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`);
  const m = re.exec(html) ?? alt.exec(html);
  return m?.[1]?.replace(/&amp;/g, '&');
}

export function formAction(html: string, index = 0): string | undefined {
  const all = [...html.matchAll(/<form[^>]*action="([^"]*)"/g)];
  return all[index]?.[1]?.replace(/&amp;/g, '&');
}
