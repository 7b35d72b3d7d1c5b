/**
 * Subjects, stream, consumer and key names of the NATS transport. Level ids may hold dots, which
 * NATS reads as token separators and refuses in stream and consumer names, so every id is written
 * with its dots as `=`, a character ids never hold: the mapping is one to one.
 */
export function token(id: string): string {
  return id.replaceAll('.', '=');
}

/** Where a level publishes its partials, in its own JetStream domain. */
export const upSubject = (level: string): string => `edgesum.up.${token(level)}`;

/** The stream, in a level's own domain, that persists its partials until its parent has sourced them. */
export const upStream = (level: string): string => `EDGESUM_UP_${token(level)}`;

/** The stream, in a parent's domain, that sources the partials of all its children. */
export const inStream = (level: string): string => `EDGESUM_IN_${token(level)}`;

/** The durable consumer a parent reads its children's partials with. */
export const inConsumer = (level: string): string => `edgesum-in-${token(level)}`;

/** The KV bucket, one per JetStream domain, holding every parent's latest directive to each child. */
export const grantsBucket = 'edgesum-grants';

/** The stream behind {@link grantsBucket}. */
export const grantsStream = `KV_${grantsBucket}`;

/** The key of one rollout's directive to one child. */
export const grantKey = (child: string, rollout: string): string => `${token(child)}.${token(rollout)}`;

/** The subject a child reads its directives on: every key of its own in the grants bucket. */
export const grantsFilter = (child: string): string => `$KV.${grantsBucket}.${token(child)}.>`;

/** The durable consumer a child reads its grants with. */
export const grantsConsumer = (child: string): string => `edgesum-grants-${token(child)}`;

/** Where a level answers status queries for the destinations it owns or routes to. */
export const statusSubject = (level: string): string => `edgesum.status.${token(level)}`;

/**
 * The message id of a partial: level, epoch and seq, so JetStream drops a resent copy and ids of
 * different levels never meet. A heartbeat repeats a delivered (epoch, seq) and gets its own id,
 * or the dedupe window would swallow the sign of life.
 */
export function partialMsgId(level: string, epoch: number, seq: number, beat?: number): string {
  return `${token(level)}.${epoch}.${seq}${beat === undefined ? '' : `.beat.${beat}`}`;
}

/** The message id of a directive: the parent, the child, the rollout and the parent's directive seq. */
export function directiveMsgId(parent: string, child: string, rollout: string, seq: number): string {
  return `${token(parent)}.${token(child)}.${token(rollout)}.${seq}`;
}
