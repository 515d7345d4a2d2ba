-- The sample database shared by tests and examples (users and emails from the aiopg examples).
CREATE TABLE users (
  id       serial PRIMARY KEY,
  name     varchar(255),
  birthday timestamp
);

CREATE TABLE emails (
  id      serial PRIMARY KEY,
  user_id integer REFERENCES users (id),
  email   varchar(253) NOT NULL,
  private boolean NOT NULL
);

CREATE TABLE typed_values (
  id      serial PRIMARY KEY,
  doc     jsonb NOT NULL,
  amount  numeric(12, 2) NOT NULL,
  big     bigint NOT NULL,
  uid     uuid NOT NULL,
  at      timestamptz NOT NULL,
  day     date NOT NULL,
  tags    text[] NOT NULL,
  blob    bytea NOT NULL,
  flag    boolean NOT NULL,
  note    text
);
