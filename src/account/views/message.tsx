import { Layout, type PageContext } from '../../../interactions/views/layout.js';

/** A page with one message and, where there is one, the way on. */
export function MessagePage(v: { page: PageContext; title: string; message: string; link?: { href: string; label: string } | undefined }) {
  return (
    <Layout page={v.page} title={v.title}>
      <p class="lead" role="status" id="message">
        {v.message}
      </p>
      {v.link && (
        <p>
          <a class="button primary" href={v.link.href}>
            {v.link.label}
          </a>
        </p>
      )}
    </Layout>
  );
}
