import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { IdSchema } from '../core/model/index.js';

/** What a configured token may do. */
export const RoleSchema = z.enum(['edge', 'level', 'reader', 'admin']);
/** A configured role, or `parent`: the node's own parent calling down with their link token. */
export type Role = z.infer<typeof RoleSchema> | 'parent';

/**
 * One bearer token of a served node, stored as the SHA-256 of the token, never the token itself.
 * An `edge` token is bound to one destination and may post only that destination's reports; a
 * `level` token is bound to one child level and may post only that level's partials.
 */
export const TokenSchema = z
  .strictObject({
    /** Who holds it, for logs and metrics; never the secret. */
    name: z.string().min(1).max(128),
    /** Lower-case hex SHA-256 of the token (`printf %s TOKEN | sha256sum`). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the token (64 characters)'),
    roles: z.array(RoleSchema).min(1),
    destination: IdSchema.optional(),
    level: IdSchema.optional(),
  })
  .superRefine((token, ctx) => {
    if (token.roles.includes('edge') && token.destination === undefined) ctx.addIssue({ code: 'custom', path: ['destination'], message: 'an edge token must name the destination it reports for' });
    if (token.roles.includes('level') && token.level === undefined) ctx.addIssue({ code: 'custom', path: ['level'], message: 'a level token must name the child level it speaks for' });
  });
export type TokenConfig = z.infer<typeof TokenSchema>;

/** Who a request comes from, once its token matched. */
export interface Principal {
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  readonly destination: string | undefined;
  readonly level: string | undefined;
}

/** The SHA-256 (hex) a token is stored as. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The SHA-256 of the token an `Authorization: Bearer …` header presents, or `undefined` without one. */
function presentedDigest(header: string | undefined): Buffer | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header ?? '');
  return match === null ? undefined : createHash('sha256').update(match[1]!, 'utf8').digest();
}

/**
 * Matches bearer tokens against the configured hashes. Every configured hash is compared, each in
 * constant time, so neither the comparison nor the number of comparisons depends on the secret.
 */
export class TokenAuthority {
  private readonly tokens: readonly { readonly digest: Buffer; readonly principal: Principal }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((token) => ({
      digest: Buffer.from(token.sha256, 'hex'),
      principal: { name: token.name, roles: new Set(token.roles), destination: token.destination, level: token.level },
    }));
  }

  /** The principal of an `Authorization` header value, or `undefined` when it carries no valid token. */
  authenticate(header: string | undefined): Principal | undefined {
    const presented = presentedDigest(header);
    if (presented === undefined) return undefined;
    let found: Principal | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(presented, token.digest) && found === undefined) found = token.principal;
    }
    return found;
  }

  /**
   * A matcher for calls from this node's parent. A link between two levels has one token: the
   * child holds it in its config to post partials up, the parent stores its hash, and the parent
   * presents it again when it calls down (directives, routed status queries).
   */
  withLinkToken(token: string): (header: string | undefined) => Principal | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    const principal: Principal = { name: 'parent', roles: new Set<Role>(['parent']), destination: undefined, level: undefined };
    return (header) => {
      const presented = presentedDigest(header);
      return presented !== undefined && timingSafeEqual(presented, digest) ? principal : undefined;
    };
  }
}
