-- revision: 3c1d8e0a4f21
-- down_revision: 1975ea83b712
-- message: add account email
-- created: 2026-11-28T06:05:00Z

-- migrate:upgrade
ALTER TABLE account ADD COLUMN email TEXT;
CREATE UNIQUE INDEX account_email ON account (email);

-- migrate:downgrade
DROP INDEX account_email;
ALTER TABLE account DROP COLUMN email;
