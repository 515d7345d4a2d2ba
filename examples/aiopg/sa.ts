/**
 * Follows aiopg's examples/sa.py: fill users and emails with random data in one transaction,
 * then count them, list users with public emails (join, group by, having), look Julia up
 * with table-prefixed column labels and print the population's average age.
 *
 * SQLAlchemy Core queries become Kysely builders typed by `Database`; `conn.scalar()` of an
 * insert reads the new id through `returning('id')` (aiopg got it from SQLAlchemy's implicit
 * RETURNING); `LABEL_STYLE_TABLENAME_PLUS_COL` is spelled as aliases (`users.name as
 * users_name`); the `interval` that `avg(age(…))` returns decodes to pg's interval object.
 */
import { type Generated, sql } from 'kysely';
import { createEngine, type SAConnection } from 'pgsa';

/** aiopg's `users` and `emails`, typed for Kysely (ids are serial: optional on insert). */
interface Database {
  users: { id: Generated<number>; name: string | null; birthday: Date | null };
  emails: {
    id: Generated<number>;
    user_id: number | null;
    email: string | null;
    private: boolean | null;
  };
}
type Conn = SAConnection<Database>;

/** What pgsa decodes an `interval` to by default (`types: { interval: 'object' }`), in part. */
interface Interval {
  years?: number;
  months?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_sa_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

const NAMES = [
  'Andrew', 'Bob', 'John', 'Vitaly', 'Alex', 'Lina', 'Olga', 'Doug', 'Julia', 'Matt', 'Jessica',
  'Nick', 'Dave', 'Martin', 'Abbi', 'Eva', 'Lori', 'Rita', 'Rosa', 'Ivy', 'Clare', 'Maria',
  'Jenni', 'Margo', 'Anna',
];

const randInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
/** `random.sample(population, k)`: k distinct elements in random order. */
function sample<T>(population: readonly T[], k: number): T[] {
  const pool = [...population];
  for (let i = 0; i < k; i++) {
    const j = randInt(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, k);
}
/** `int(random.paretovariate(2))`: 1 most of the time, sometimes more. */
const paretoCount = () => Math.floor(1 / Math.sqrt(1 - Math.random()));

function genBirthday(): Date {
  const year = new Date().getFullYear();
  return new Date(randInt(year - 30, year - 20), randInt(0, 11), randInt(1, 28));
}

async function fillData(conn: Conn): Promise<void> {
  await conn.transaction(async () => {
    for (const name of sample(NAMES, NAMES.length)) {
      const uid = await conn.scalar(
        conn.db.insertInto('users').values({ name, birthday: genBirthday() }).returning('id'),
      );
      const emailsCount = Math.min(paretoCount(), 10_000);
      for (const num of sample([...Array(10_000).keys()], emailsCount)) {
        const isPrivate = Math.random() < 0.8;
        await conn.execute(
          conn.db.insertInto('emails').values({ user_id: uid, email: `${name}+${num}@gmail.com`, private: isPrivate }),
        );
      }
    }
  });
}

async function count(conn: Conn): Promise<void> {
  const c1 = await conn.scalar(conn.db.selectFrom('users').select((eb) => eb.fn.count<string>('users.id').as('n')));
  const c2 = await conn.scalar(conn.db.selectFrom('emails').select((eb) => eb.fn.count<string>('emails.id').as('n')));
  console.log('Population consists of', c1, 'people with', c2, 'emails in total');
  const query = conn.db
    .selectFrom('emails')
    .innerJoin('users', 'users.id', 'emails.user_id')
    .select('users.name')
    .where('emails.private', '=', false)
    .groupBy('users.name')
    .having((eb) => eb.fn.count('emails.private'), '>', 0);

  console.log('Users with public emails:');
  for await (const row of await conn.execute(query)) {
    console.log(row.name);
  }
  console.log();
}

async function showJulia(conn: Conn): Promise<void> {
  console.log('Lookup for Julia:');
  const query = conn.db
    .selectFrom('users')
    .innerJoin('emails', 'users.id', 'emails.user_id')
    .select([
      'users.id as users_id',
      'users.name as users_name',
      'users.birthday as users_birthday',
      'emails.id as emails_id',
      'emails.user_id as emails_user_id',
      'emails.email as emails_email',
      'emails.private as emails_private',
    ])
    .where('users.name', '=', 'Julia');
  for await (const row of await conn.execute(query)) {
    console.log(row.users_name, row.users_birthday?.toDateString(), row.emails_email, row.emails_private);
  }
  console.log();
}

async function aveAge(conn: Conn): Promise<void> {
  const ave = await conn.scalar(sql<{ avg: Interval }>`select avg(age(birthday)) from users`);
  if (ave === null) throw new Error('no users');
  const text = `${ave.years ?? 0} years ${ave.months ?? 0} mons ${ave.days ?? 0} days`;
  console.log('Average age of population is', text, 'or ~', ave.years ?? 0, 'years');
  console.log();
}

try {
  await using conn = await engine.acquire();
  await conn.execute(`create schema ${schemaName}`);
  await conn.execute('create table users (id serial primary key, name varchar(255), birthday timestamp)');
  await conn.execute(
    'create table emails (id serial, user_id int references users (id), email varchar(253), private bool)',
  );
  await fillData(conn);
  await count(conn);
  await showJulia(conn);
  await aveAge(conn);
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
