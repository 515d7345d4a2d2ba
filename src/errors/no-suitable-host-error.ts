import { OperationalError } from './database-error.js';

/** One server a multi-host engine tried, and why it was not used. */
export interface HostAttempt {
  /** Host name, IP address or Unix-socket directory. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /**
   * Why the server was refused: the connect error (`connect ECONNREFUSED …`, an authentication
   * failure …) or, when it answered, libpq's words for the mismatch ("server is in hot standby
   * mode", "session is read-only" …).
   */
  readonly reason: string;
}

/**
 * A multi-host engine tried every host and none gave a connection matching its
 * `targetSessionAttrs` (libpq's "could not connect … to any of the hosts"). The message and
 * `hosts` list every host with the reason it was refused; never the password. `errors` holds
 * each host's own error (the connect error, or the mismatch).
 *
 * @example
 * ```ts
 * try {
 *   await createEngine({ connectionString: 'postgres://app@db1,db2/app?target_session_attrs=read-write' });
 * } catch (e) {
 *   if (e instanceof NoSuitableHostError) for (const { host, port, reason } of e.hosts) console.log(host, port, reason);
 * }
 * ```
 */
export class NoSuitableHostError extends OperationalError {
  /** Every host tried, in the order of their last attempt, with the reason it was refused. */
  readonly hosts: readonly HostAttempt[];
  /** The errors of the last attempt on each host (for connect-retry decisions and debugging). */
  readonly errors: readonly Error[];

  constructor(message: string, hosts: readonly HostAttempt[], errors: readonly Error[]) {
    super(message, {});
    this.hosts = Object.freeze([...hosts]);
    this.errors = Object.freeze([...errors]);
  }
}
