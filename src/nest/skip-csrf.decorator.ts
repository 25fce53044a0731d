import { SetMetadata } from '@nestjs/common';

/** Metadata key read by `CsrfGuard`. */
export const SKIP_CSRF = 'nest-aura-session:skip-csrf';

/**
 * Exempts a handler, or every handler of a controller, from the CSRF check: for webhooks and
 * other callers that authenticate some other way (a signature, an API key).
 */
export const SkipCsrf = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_CSRF, true);
