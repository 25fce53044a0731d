import { applyDecorators, Header } from '@nestjs/common';

/**
 * Fastify would send a returned string as text/plain; no-store keeps pages that embed a CSRF
 * token or a flash message out of the back/forward and proxy caches.
 */
export function HtmlPage(): MethodDecorator {
  return applyDecorators(
    Header('Content-Type', 'text/html; charset=utf-8'),
    Header('Cache-Control', 'no-store'),
  );
}
