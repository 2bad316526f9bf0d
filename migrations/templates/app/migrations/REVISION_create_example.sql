-- revision: {{revision}}
-- down_revision: none
-- message: create example table
-- created: {{created}}

-- migrate:upgrade
CREATE TABLE example (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE example;
