import { mfaMethods, mfaModes } from '../../model.js';
import { AUDIT_PAGE_MAX } from '../audit-query.js';
import { ADMIN_SCOPE } from './auth.js';

/**
 * The admin API's OpenAPI 3.1 document, served at /admin/api/v1/openapi.json. Written by
 * hand next to the routes; test/admin/openapi.test.ts checks that both list the same
 * operations.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const ok = (description: string, schema: unknown) => ({ description, content: json(schema) });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

const orgParam = { name: 'org', in: 'path', required: true, description: 'organisation code', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };
const userParam = { name: 'user_id', in: 'path', required: true, description: 'user id (from the user list)', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };

const upstreamParam = { name: 'upstream_id', in: 'path', required: true, description: 'upstream id (from the upstream list)', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };
const linkParam = { name: 'link_id', in: 'path', required: true, description: 'link id (from the user\'s link list)', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };

/** The writable fields of an upstream; `client_secret` is write-only (responses say only has_client_secret). */
const upstreamInputProperties = {
  issuer: { type: 'string', maxLength: 512, description: 'the upstream issuer URL; https (http only for loopback hosts or outside production)' },
  client_id: { type: 'string', minLength: 1, maxLength: 255, description: 'our client id at the upstream' },
  client_secret: { type: ['string', 'null'], maxLength: 1000, writeOnly: true, description: 'stored sealed, never returned; null for a public client (PKCE only)' },
  scopes: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'must include openid', default: ['openid', 'profile'] },
  display_name: { type: 'string', minLength: 1, maxLength: 200 },
  label_ja: { type: 'string', minLength: 1, maxLength: 100, description: 'button label; default 「<display_name>でログイン」' },
  label_en: { type: 'string', minLength: 1, maxLength: 100, description: 'button label; default "Sign in with <display_name>"' },
  client_ids: { type: ['array', 'null'], items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'our clients that show the button; null = every client of the organisation', default: null },
  mfa_acr_values: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'upstream acr values that mean MFA was done there', default: [] },
  enabled: { type: 'boolean', default: true },
};

const common = {
  '400': errorResponse('invalid input: the `field` names what is wrong; nothing was changed'),
  '401': errorResponse('no, an unknown or an expired access token'),
  '403': errorResponse(`the token lacks the ${ADMIN_SCOPE} scope or its client is not an admin API client`),
  '404': errorResponse('unknown organisation, user, upstream or link, or one the client may not see (bound to another organisation)'),
  '413': errorResponse('the body is larger than 16 KiB'),
};

const userAction = (summary: string, operationId: string, description: string) => ({
  post: {
    summary,
    operationId,
    description,
    parameters: [orgParam, userParam],
    requestBody: { required: false, content: json({ type: 'object', additionalProperties: false }) },
    responses: { '200': ok('the user after the change', { type: 'object', properties: { user: ref('User') } }), ...common },
  },
});

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mfa: { enum: [...mfaModes] },
    methods: { type: 'array', items: { enum: [...mfaMethods] }, minItems: 1 },
    remember_hours: { type: 'integer', minimum: 0, maximum: 720 },
    password_min_length: { type: 'integer', minimum: 8, maximum: 128 },
    password_min_score: { type: 'integer', minimum: 0, maximum: 4 },
    session_idle_minutes: { type: 'integer', minimum: 1, maximum: 1440 },
    session_max_hours: { type: 'integer', minimum: 1, maximum: 720 },
    system_title: { type: ['string', 'null'], maxLength: 100, description: '"" or null removes it' },
    first_login_password_change: { type: 'boolean' },
    email_code_minutes: { type: 'integer', minimum: 1, maximum: 60 },
    totp_period: { enum: [30, 60] },
    totp_digits: { enum: [6, 8] },
    wrong_code_limit: { type: 'integer', minimum: 1, maximum: 20 },
    require_verified_email: { type: 'boolean' },
    reenrol_after_backup_code: { type: 'boolean' },
  },
};

export function openApiDocument(issuer: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'idp admin API',
      version: '1',
      description:
        'Organisation administration for operators\' automation. Authenticate with an access token from the ' +
        `token endpoint (grant_type=client_credentials, scope=${ADMIN_SCOPE}) of a client registered with ` +
        '`idp clients add --grant-types client_credentials --admin-api [--org CODE]`. A client bound to an organisation ' +
        'acts on that organisation only; a client without --org acts on every organisation. Every change is audited ' +
        'with the client as the actor.',
    },
    servers: [{ url: `${issuer}/admin/api/v1` }],
    security: [{ clientCredentials: [ADMIN_SCOPE] }],
    paths: {
      '/orgs/{org}': {
        get: {
          summary: 'the organisation and its policy',
          operationId: 'getOrganisation',
          parameters: [orgParam],
          responses: { '200': ok('the organisation', { type: 'object', properties: { org: ref('Organisation') } }), ...common },
        },
      },
      '/orgs/{org}/policy': {
        patch: {
          summary: 'change policy settings; the others keep their values',
          operationId: 'updatePolicy',
          parameters: [orgParam],
          requestBody: { required: true, content: json(settingsSchema) },
          responses: { '200': ok('the organisation after the change', { type: 'object', properties: { org: ref('Organisation') } }), ...common },
        },
      },
      '/orgs/{org}/users': {
        get: {
          summary: 'list or search users',
          operationId: 'listUsers',
          parameters: [
            orgParam,
            { name: 'q', in: 'query', description: 'text in user ID, name or e-mail', schema: { type: 'string', maxLength: 100 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: {
            '200': ok('one page of users, ordered by user ID', {
              type: 'object',
              properties: { users: { type: 'array', items: ref('User') }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
            }),
            ...common,
          },
        },
        post: {
          summary: 'create a user',
          operationId: 'createUser',
          parameters: [orgParam],
          requestBody: { required: true, content: json(ref('NewUser')) },
          responses: {
            '201': ok('the new user', { type: 'object', properties: { user: ref('User') } }),
            ...common,
            '409': errorResponse('a user with this username exists'),
          },
        },
      },
      '/orgs/{org}/users/{user_id}': {
        get: {
          summary: 'one user',
          operationId: 'getUser',
          parameters: [orgParam, userParam],
          responses: { '200': ok('the user', { type: 'object', properties: { user: ref('User') } }), ...common },
        },
      },
      '/orgs/{org}/users/{user_id}/disable': userAction('disable sign-in', 'disableUser', 'The user can no longer sign in; issued tokens stop resolving the account.'),
      '/orgs/{org}/users/{user_id}/enable': userAction('enable sign-in again', 'enableUser', 'Undoes disable.'),
      '/orgs/{org}/users/{user_id}/force-password-change': userAction(
        'require a new password at the next sign-in',
        'forcePasswordChange',
        'The user must choose a new password after the next successful sign-in.',
      ),
      '/orgs/{org}/users/{user_id}/2fa-email': {
        put: {
          summary: "set the user's 2FA e-mail address",
          operationId: 'setTwoFactorEmail',
          description: 'The address is provisional until the confirmation link mailed to it is opened (seed 000).',
          parameters: [orgParam, userParam],
          requestBody: { required: true, content: json({ type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string', format: 'email', maxLength: 254 } } }) },
          responses: {
            '202': ok('the confirmation mail was sent', {
              type: 'object',
              properties: { user_id: { type: 'string' }, email: { type: 'string' }, confirmation_sent: { const: true }, expires_at: { type: 'string', format: 'date-time' } },
            }),
            ...common,
            '429': errorResponse('a mail was sent to this user moments ago'),
            '503': errorResponse('the mail could not be delivered'),
          },
        },
      },
      '/orgs/{org}/users/{user_id}/reset-mfa': {
        post: {
          summary: "remove the user's second factors",
          operationId: 'resetMfa',
          description: 'Factors, backup codes and remembered browsers go; the user sets up again at the next sign-in.',
          parameters: [orgParam, userParam],
          requestBody: { required: false, content: json({ type: 'object', additionalProperties: false }) },
          responses: {
            '200': ok('what was removed', {
              type: 'object',
              properties: {
                user_id: { type: 'string' },
                mfa_reset: {
                  type: 'object',
                  properties: {
                    factors_removed: { type: 'integer' },
                    backup_codes_removed: { type: 'integer' },
                    browsers_revoked: { type: 'integer' },
                    throttles_cleared: { type: 'integer' },
                  },
                },
              },
            }),
            ...common,
          },
        },
      },
      '/orgs/{org}/users/{user_id}/unlock': {
        post: {
          summary: 'lift a password lock-out',
          operationId: 'unlockUser',
          parameters: [orgParam, userParam],
          requestBody: { required: false, content: json({ type: 'object', additionalProperties: false }) },
          responses: {
            '200': ok('whether the account was locked', {
              type: 'object',
              properties: { user_id: { type: 'string' }, unlocked: { type: 'object', properties: { was_locked: { type: 'boolean' }, failures_cleared: { type: 'integer' } } } },
            }),
            ...common,
          },
        },
      },
      '/orgs/{org}/upstreams': {
        get: {
          summary: "the organisation's upstream OpenID Connect providers",
          operationId: 'listUpstreams',
          parameters: [orgParam],
          responses: { '200': ok('every upstream of the organisation', { type: 'object', properties: { upstreams: { type: 'array', items: ref('Upstream') } } }), ...common },
        },
        post: {
          summary: 'add an upstream provider',
          operationId: 'addUpstream',
          description: 'Users of the organisation may then sign in with it after linking their account. Audited as upstream.created.',
          parameters: [orgParam],
          requestBody: { required: true, content: json(ref('NewUpstream')) },
          responses: { '201': ok('the new upstream', { type: 'object', properties: { upstream: ref('Upstream') } }), ...common },
        },
      },
      '/orgs/{org}/upstreams/{upstream_id}': {
        get: {
          summary: 'one upstream',
          operationId: 'getUpstream',
          parameters: [orgParam, upstreamParam],
          responses: { '200': ok('the upstream', { type: 'object', properties: { upstream: ref('Upstream') } }), ...common },
        },
        patch: {
          summary: 'change fields of an upstream; the others keep their values',
          operationId: 'updateUpstream',
          description: 'The slug does not change. Audited as upstream.updated with the names (not the values) of the changed fields.',
          parameters: [orgParam, upstreamParam],
          requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, minProperties: 1, properties: upstreamInputProperties }) },
          responses: { '200': ok('the upstream after the change', { type: 'object', properties: { upstream: ref('Upstream') } }), ...common },
        },
        delete: {
          summary: 'remove an upstream and every link of users to it',
          operationId: 'removeUpstream',
          description: 'Audited as upstream.removed.',
          parameters: [orgParam, upstreamParam],
          responses: {
            '200': ok('removed', { type: 'object', properties: { upstream_id: { type: 'string' }, removed: { const: true }, links_removed: { type: 'integer' } } }),
            ...common,
          },
        },
      },
      '/orgs/{org}/users/{user_id}/links': {
        get: {
          summary: "the user's linked external sign-ins",
          operationId: 'listUserLinks',
          parameters: [orgParam, userParam],
          responses: {
            '200': ok('the links', { type: 'object', properties: { user_id: { type: 'string' }, links: { type: 'array', items: ref('Link') } } }),
            ...common,
          },
        },
      },
      '/orgs/{org}/users/{user_id}/links/{link_id}': {
        delete: {
          summary: 'unlink an external sign-in from the user',
          operationId: 'removeUserLink',
          description: 'The user can no longer sign in with that upstream account until it is linked again. Audited as federation.unlinked.',
          parameters: [orgParam, userParam, linkParam],
          responses: {
            '200': ok('removed', { type: 'object', properties: { user_id: { type: 'string' }, link_id: { type: 'string' }, removed: { const: true } } }),
            ...common,
          },
        },
      },
      '/orgs/{org}/audit': {
        get: {
          summary: "the organisation's audit events, newest first",
          operationId: 'queryAudit',
          parameters: [
            orgParam,
            { name: 'user', in: 'query', description: 'user id', schema: { type: 'string' } },
            { name: 'type', in: 'query', description: 'event type, e.g. login.failed', schema: { type: 'string', pattern: '^[a-z0-9_.]{1,64}$' } },
            { name: 'from', in: 'query', description: 'inclusive, ISO 8601', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', description: 'exclusive, ISO 8601', schema: { type: 'string', format: 'date-time' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: 100 } },
            { name: 'before', in: 'query', description: 'the `next` value of the previous page', schema: { type: 'integer' } },
          ],
          responses: {
            '200': ok('one page of events', {
              type: 'object',
              properties: { events: { type: 'array', items: ref('AuditEvent') }, next: { type: ['integer', 'null'] } },
            }),
            ...common,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        clientCredentials: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { [ADMIN_SCOPE]: 'organisation administration' } } },
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'error_description'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' }, field: { type: 'string' } },
        },
        Organisation: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            code: { type: 'string' },
            name: { type: 'string' },
            settings: settingsSchema,
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
        User: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            org: { type: 'string' },
            username: { type: 'string' },
            email: { type: ['string', 'null'] },
            email_verified: { type: 'boolean' },
            name: { type: ['string', 'null'] },
            locale: { enum: ['ja', 'en', null] },
            role: { enum: ['user', 'admin'] },
            must_change_password: { type: 'boolean' },
            disabled: { type: 'boolean' },
            created_at: { type: 'string', format: 'date-time' },
            last_login_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        NewUser: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 128 },
            password: { type: 'string', maxLength: 256, description: "must satisfy the organisation's password policy" },
            email: { type: 'string', format: 'email', maxLength: 254 },
            name: { type: 'string', maxLength: 200 },
            locale: { enum: ['ja', 'en'] },
            role: { enum: ['user', 'admin'], default: 'user' },
            must_change_password: { type: 'boolean', default: false },
          },
        },
        Upstream: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            org: { type: 'string' },
            slug: { type: 'string' },
            issuer: { type: 'string' },
            client_id: { type: 'string' },
            has_client_secret: { type: 'boolean', description: 'the secret itself is never returned' },
            scopes: { type: 'array', items: { type: 'string' } },
            display_name: { type: 'string' },
            label_ja: { type: 'string' },
            label_en: { type: 'string' },
            client_ids: { type: ['array', 'null'], items: { type: 'string' } },
            mfa_acr_values: { type: 'array', items: { type: 'string' } },
            enabled: { type: 'boolean' },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
        NewUpstream: {
          type: 'object',
          required: ['slug', 'issuer', 'client_id', 'display_name'],
          additionalProperties: false,
          properties: {
            slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'unique in the organisation; names the upstream in paths and the audit trail' },
            ...upstreamInputProperties,
          },
        },
        Link: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            upstream: { type: 'string', description: 'the upstream slug' },
            upstream_name: { type: 'string' },
            issuer: { type: 'string' },
            subject: { type: 'string', description: 'the user\'s subject at the upstream' },
            created_at: { type: 'string', format: 'date-time' },
            last_used_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        AuditEvent: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            at: { type: 'string', format: 'date-time' },
            type: { type: 'string' },
            user_id: { type: ['string', 'null'] },
            username: { type: ['string', 'null'] },
            client_id: { type: ['string', 'null'] },
            actor: { type: ['string', 'null'], description: 'cli, client:<client_id> or user:<user_id> when someone else acted' },
            ip: { type: ['string', 'null'] },
            user_agent: { type: ['string', 'null'] },
            details: { type: 'object' },
          },
        },
      },
    },
  };
}
