import type pg from 'pg';
import { isEnding, onParameterStatus, onServerError, type ServerErrorMessage } from '../protocol/pg-internals.js';
import { type HostSelector, mismatch, type Requirement, type SessionStatus } from './host-selection.js';

/** A node-postgres client class, as pg-pool's `Client` option takes it. Not part of the public API. */
export type ClientClass = new (config?: pg.ClientConfig) => pg.Client;

/** Asks a server older than 14, which reports neither parameter, what libpq would ask. */
const STATUS_SQL =
  "select pg_catalog.pg_is_in_recovery() as r, pg_catalog.current_setting('transaction_read_only') = 'on' as ro";

/**
 * `Base` whose every instance connects to the server `selector` picks and checks it as libpq
 * checks `target_session_attrs`: after the login it reads `in_hot_standby` and
 * `default_transaction_read_only` from the server's ParameterStatus messages (servers before
 * 14: one query), and when they do not match, closes the connection and fails with a
 * `HostRefusal` (the selector then moves on). Afterwards it keeps listening: a server that
 * turns read-only or is promoted, or a connection that is lost, marks the host's older
 * connections stale (see {@link HostSelector.isStale}).
 *
 * Not part of the public API.
 */
export function withHostSelection(Base: ClientClass, selector: HostSelector): ClientClass {
  return class HostSelectingClient extends Base {
    readonly #index: number;
    readonly #requirement: Requirement;
    readonly #epoch: number;
    #inHotStandby: boolean | undefined;
    #readOnly: boolean | undefined;
    #verified = false;

    constructor(config?: pg.ClientConfig) {
      const { index, address, requirement, epoch } = selector.pick();
      super({ ...config, host: address.host, port: address.port });
      this.#index = index;
      this.#epoch = epoch;
      this.#requirement = requirement;
      onParameterStatus(this as pg.Client, (name, value) => this.#parameter(name, value));
      onServerError(this as pg.Client, (message) => this.#serverError(message));
      this.on('end', () => {
        if (this.#verified && !isEnding(this as pg.Client)) selector.invalidate(this, 'connection lost');
      });
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(
      callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void),
    ): Promise<pg.Client> | void {
      const connecting = this.#connectChecked();
      if (callback === undefined) return connecting;
      const done = callback as (err: Error | null, c?: pg.Client) => void;
      connecting.then((client) => done(null, client), (error: Error) => done(error));
    }

    async #connectChecked(): Promise<pg.Client> {
      const requirement = this.#requirement;
      try {
        await super.connect();
      } catch (error) {
        throw selector.refuse(this.#index, requirement, error instanceof Error ? error.message : String(error), error);
      }
      let status: SessionStatus;
      try {
        status = this.#reported() ?? (await this.#queried());
      } catch (error) {
        await this.end().catch(() => {});
        throw selector.refuse(this.#index, requirement, error instanceof Error ? error.message : String(error), error);
      }
      const reason = mismatch(requirement, status);
      if (reason !== undefined) {
        await this.end().catch(() => {});
        throw selector.refuse(this.#index, requirement, reason, undefined, status);
      }
      this.#verified = true;
      selector.connected(this, this.#index, status, this.#epoch);
      return this;
    }

    /** The status the server reported at login (servers from 14 on), if it did. */
    #reported(): SessionStatus | undefined {
      if (this.#inHotStandby === undefined || this.#readOnly === undefined) return undefined;
      return { inHotStandby: this.#inHotStandby, readOnly: this.#readOnly };
    }

    async #queried(): Promise<SessionStatus> {
      const result = await this.query<{ r: boolean; ro: boolean }>(STATUS_SQL);
      const row = result.rows[0];
      return { inHotStandby: row?.r === true, readOnly: row?.ro === true };
    }

    #parameter(parameterName: string, parameterValue: string): void {
      if (parameterName === 'in_hot_standby') this.#inHotStandby = parameterValue === 'on';
      else if (parameterName === 'default_transaction_read_only') this.#readOnly = parameterValue === 'on';
      else return;
      const status = this.#reported();
      if (!this.#verified || status === undefined) return;
      // A primary set read-only, or a standby promoted: this host no longer serves the engine.
      const reason = mismatch(this.#requirement, status);
      if (reason !== undefined) selector.invalidate(this, reason, status);
    }

    #serverError(message: ServerErrorMessage): void {
      if (!this.#verified) return;
      if (message.severity === 'FATAL' || message.severity === 'PANIC') {
        // The server ends the session (shutdown, crash, terminated backend).
        selector.invalidate(this, message.message);
      } else if (message.code === '25006' && this.#reported() === undefined) {
        // read_only_sql_transaction from a server that does not report its state: it may have
        // been demoted, or the transaction was read-only. Do not reuse this connection.
        if (this.#requirement === 'read-write' || this.#requirement === 'primary') selector.doom(this);
      }
    }
  };
}
