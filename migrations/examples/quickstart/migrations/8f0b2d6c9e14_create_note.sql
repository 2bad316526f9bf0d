-- revision: 8f0b2d6c9e14
-- down_revision: 3c1d8e0a4f21
-- message: create note table
-- created: 2026-11-28T06:10:00Z

-- migrate:upgrade
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account (id),
    body TEXT NOT NULL
);
INSERT INTO account (name, email) VALUES ('quickstart', 'quickstart@example.com');
INSERT INTO note (account_id, body) VALUES (1, 'migrated by the quickstart');

-- migrate:downgrade
DROP TABLE note;
DELETE FROM account WHERE email = 'quickstart@example.com';
