// SQL for `useEngines`' `setup` and `reset` options, run by an independent connection.

/** `reset`: the sample tables emptied, ids restarting at 1. */
export const EMPTY_USERS = 'truncate users, emails restart identity cascade';

/** `reset` (aiopg's fixture): one committed user, `first`; ids keep counting. */
export const FIRST_USER_ONLY =
  "delete from emails; delete from users; insert into users (name) values ('first')";

/** `setup`: `parents`/`children` with a deferred foreign key, so a COMMIT can fail. */
export const DEFERRED_CHILDREN = `create table parents (id int primary key);
  create table children (id serial primary key,
    parent_id int not null references parents (id) deferrable initially deferred)`;

/** `reset` with {@link DEFERRED_CHILDREN}: users, emails and children emptied. */
export const EMPTY_USERS_AND_CHILDREN = 'truncate users, emails, children restart identity cascade';
