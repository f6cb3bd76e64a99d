import type { Kysely, Transaction } from 'kysely';

/**
 * The database did not answer a COMMIT: it may have applied the batch or not. A batcher that
 * gives such a batch up counts it as `unsure`; a retry is safe only for writes that are
 * idempotent (chat ids, marks) or carry their batch id (profile stats).
 */
export class CommitUnknownError extends Error {
  readonly commitUnknown = true;
  constructor(cause: unknown) {
    super(`the commit's outcome is unknown: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'CommitUnknownError';
  }
}

/** True for a {@link CommitUnknownError}. */
export function isCommitUnknown(err: unknown): boolean {
  return (err as { commitUnknown?: unknown } | undefined)?.commitUnknown === true;
}

/**
 * Run `work` in one transaction and commit it, telling apart a failure before the commit (it
 * is rolled back: nothing was written, the error is rethrown as is) from a commit that went
 * unanswered ({@link CommitUnknownError}).
 */
export async function writeInTransaction<DB>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<void>): Promise<void> {
  const trx = await db.startTransaction().execute();
  try {
    await work(trx);
  } catch (err) {
    // The connection may be gone with the error; the rollback's own failure adds nothing.
    await trx
      .rollback()
      .execute()
      .catch(() => {});
    throw err;
  }
  try {
    await trx.commit().execute();
  } catch (err) {
    // Kysely keeps the connection lent after a failed commit; the rollback returns it (and, if
    // the commit did not land, ends the transaction).
    await trx
      .rollback()
      .execute()
      .catch(() => {});
    throw new CommitUnknownError(err);
  }
}
