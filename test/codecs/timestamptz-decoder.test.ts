import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { timestamptzAsDate } from '../../src/codecs/builtin-decoders.js';
import { useTestDatabase, withClient } from '../support/test-database.js';

// Issue 18: timestamptz is read without pg's regular expressions on the common path; the Date
// must be exactly pg's (postgres-date) for every text the server can send.
const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;
const db = useTestDatabase();

function same(text: string): void {
  const expected = pgParse(text);
  const actual = timestamptzAsDate(text) as Date | number | null;
  if (expected instanceof Date && actual instanceof Date) {
    expect(Number.isNaN(actual.getTime()) ? 'NaN' : actual.getTime(), text).toBe(
      Number.isNaN(expected.getTime()) ? 'NaN' : expected.getTime(),
    );
  } else {
    expect(actual, text).toEqual(expected);
  }
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

describe('timestamptz decoder', () => {
  it('returns the Date pg returns for every shape the server writes, and falls back for the rest', () => {
    for (const text of [
      '2024-01-01 00:01:00+00',
      '2024-02-29 23:59:59.999999+00',
      '2024-02-29 23:59:59.5-08',
      '1999-12-31 23:59:59.000001+05:30',
      '2000-01-01 00:00:00-03:30',
      '1000-01-01 00:00:00+00',
      '0099-06-01 12:00:00+00', // years 0–99: Date.UTC would move them to 1900–1999
      '0999-06-01 12:00:00+00',
      '0044-03-15 12:00:00+00 BC',
      '12345-01-01 00:00:00+00',
      '1901-01-01 00:00:00+01:23:24', // a second offset (LMT)
      'infinity',
      '-infinity',
      '2024-13-01 00:00:00+00',
    ]) {
      same(text);
    }
  });

  it('agrees with pg on generated timestamps (fraction digits, offsets, years 1000-9999)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.option(fc.stringMatching(/^[0-9]{1,6}$/)),
        fc.constantFrom('+', '-'),
        fc.integer({ min: 0, max: 15 }),
        fc.option(fc.constantFrom(0, 15, 30, 45)),
        (year, month, day, hour, minute, second, fraction, sign, zoneHours, zoneMinutes) => {
          const zone = `${sign}${pad(zoneHours, 2)}${zoneMinutes === null ? '' : `:${pad(zoneMinutes, 2)}`}`;
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction === null ? '' : `.${fraction}`}${zone}`;
          same(text);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reads what the server sends in several time zones as pg does', async () => {
    await withClient(db.url, async (client) => {
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam']) {
        await client.query(`set time zone '${zone}'`);
        const { rows } = await client.query<{ t: string }>({
          text: `select (timestamptz '2024-03-10 01:59:59.123456+00' + n * interval '37 minutes 13.5 seconds')::text as t
                 from generate_series(0, 200) n
                 union all select t::text from (values (timestamptz '1000-01-01 00:00+00'), (timestamptz 'infinity')) v(t)`,
        });
        for (const { t } of rows) same(t);
      }
    });
  });
});
