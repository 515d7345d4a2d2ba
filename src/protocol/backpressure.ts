/**
 * How much data pgsa's protocol queries hold in memory, in one place: writers (executeMany,
 * COPY FROM STDIN) pause while the socket's buffer is above a high-water mark and resume when it
 * drains; the COPY TO STDOUT reader pauses the socket while the consumer lags.
 *
 * @internal
 */

/** Bytes waiting in the socket's write buffer above which a writer pauses until it drains. */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;

/**
 * Size of the chunks writers hand the socket: executeMany's Bind/Execute messages (bytes) and
 * COPY FROM's encoded rows (characters).
 */
export const WRITE_CHUNK_SIZE = 64 * 1024;

/** Bytes of COPY TO data held for a slow consumer above which the socket is paused. */
export const COPY_OUT_HIGH_WATER_BYTES = 1024 * 1024;

/** The initial size of COPY TO's receive buffer (it grows to what the consumer lets pile up). */
export const COPY_OUT_INITIAL_BYTES = 64 * 1024;
