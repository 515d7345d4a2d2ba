import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../../src/protocol/message-writer.js';

// pgsa writes a whole extended-protocol exchange into one buffer (issue 18); every message must
// mean exactly what node-postgres' own serializer (pg-protocol) writes for it.

const cString = fc.fullUnicodeString({ maxLength: 40 }).filter((text) => !text.includes('\0'));
const value = fc.oneof(
  fc.constant(null),
  fc.fullUnicodeString({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** A Bind message decoded to what it means (format codes normalized per value). */
function decodeBind(buffer: Buffer) {
  expect(String.fromCharCode(buffer[0] as number)).toBe('B');
  const end = 1 + buffer.readInt32BE(1);
  let at = 5;
  const cstring = () => {
    const zero = buffer.indexOf(0, at);
    const text = buffer.toString('utf8', at, zero);
    at = zero + 1;
    return text;
  };
  const int16 = () => {
    const n = buffer.readInt16BE(at);
    at += 2;
    return n;
  };
  const portal = cstring();
  const statement = cstring();
  const formats = Array.from({ length: int16() }, int16);
  const values = Array.from({ length: int16() }, (_, index) => {
    const length = buffer.readInt32BE(at);
    at += 4;
    if (length === -1) return null;
    const bytes = buffer.subarray(at, at + length).toString('hex');
    at += length;
    const format = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[index];
    return { format, bytes };
  });
  const resultFormats = Array.from({ length: int16() }, int16);
  expect(at).toBe(end);
  // No codes, or one code 0, both mean "every column in text".
  return { portal, statement, values, resultsInText: resultFormats.every((code) => code === 0), rest: buffer.subarray(end) };
}

describe('MessageWriter', () => {
  it('writes Parse, Describe statement and Sync byte for byte as pg-protocol does', () => {
    fc.assert(
      fc.property(cString, cString, (name, text) => {
        const messages = new MessageWriter(8).parse(name, text).describeStatement(name).sync().written();
        const expected = Buffer.concat([
          serialize.parse({ name, text, types: [] }),
          serialize.describe({ type: 'S', name }),
          serialize.sync(),
        ]);
        expect(messages.equals(expected)).toBe(true);
      }),
    );
  });

  it('writes Bind + Execute meaning what pg-protocol writes for the same values (text, null, bytes)', () => {
    fc.assert(
      fc.property(cString, fc.array(value, { maxLength: 12 }), (statement, values) => {
        const ours = decodeBind(new MessageWriter(16).bindExecute(statement, values).written());
        const theirs = decodeBind(Buffer.concat([serialize.bind({ statement, values }), serialize.execute()]));
        expect({ ...ours, rest: ours.rest.toString('hex') }).toEqual({ ...theirs, rest: theirs.rest.toString('hex') });
        expect(ours.rest.equals(serialize.execute())).toBe(true);
      }),
    );
  });

  it('grows past its initial capacity and keeps earlier messages intact', () => {
    const big = 'é'.repeat(100_000);
    const messages = new MessageWriter(4).parse('s1', 'select $1').bindExecute('s1', [big, null]).sync();
    const written = messages.written();
    const parse = serialize.parse({ name: 's1', text: 'select $1', types: [] });
    expect(written.subarray(0, parse.length).equals(parse)).toBe(true);
    const bind = decodeBind(written.subarray(parse.length));
    expect(Buffer.from(bind.values[0]?.bytes as string, 'hex').toString('utf8')).toBe(big);
    expect(bind.values[1]).toBeNull();
    expect(bind.rest.equals(Buffer.concat([serialize.execute(), serialize.sync()]))).toBe(true);
  });

  it('take() hands over what was written and starts an empty buffer', () => {
    const messages = new MessageWriter(8).sync();
    expect(messages.take(8).equals(serialize.sync())).toBe(true);
    expect(messages.size).toBe(0);
    expect(messages.written().length).toBe(0);
  });
});
