import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { QueryRunner } from './pglite-thread';

/**
 * PGlite (on its own thread: {@link QueryRunner}) as the pool Kysely's PostgresDialect expects.
 * PGlite is one connection, so the pool lends it to one borrower at a time: a transaction (BEGIN … COMMIT on one
 * borrowed client) is never interleaved with another caller's statements. Borrowers wait in
 * arrival order.
 */
export class PGlitePool implements PostgresPool {
  private busy = false;
  private readonly waiting: ((client: PostgresPoolClient) => void)[] = [];
  private readonly client: PostgresPoolClient;

  /** @param onEnd runs after PGlite closes (releases the data folder) */
  constructor(
    private readonly pg: QueryRunner,
    private readonly onEnd: () => void = () => {},
  ) {
    this.client = {
      query: (async (sql: string, parameters: readonly unknown[]) => {
        const result = await this.pg.query(sql, parameters);
        return {
          command: commandOf(sql),
          rowCount: result.affectedRows || result.rows.length,
          rows: result.rows,
        } as PostgresQueryResult<unknown>;
      }) as PostgresPoolClient['query'],
      release: () => this.release(),
    };
  }

  connect(): Promise<PostgresPoolClient> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.client);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(this.client);
    else this.busy = false;
  }

  async end(): Promise<void> {
    await this.pg.close();
    this.onEnd();
  }
}

/** The statement's verb, as pg reports it (Kysely reads it to tell inserts from updates). */
function commandOf(sql: string): PostgresQueryResult<unknown>['command'] {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
  return (verb === 'WITH' ? 'SELECT' : (verb ?? 'SELECT')) as PostgresQueryResult<unknown>['command'];
}
