-- revision: 1975ea83b712
-- down_revision: none
-- message: create account table
-- created: 2026-11-28T06:00:00Z

-- migrate:upgrade
CREATE TABLE account (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE account;
