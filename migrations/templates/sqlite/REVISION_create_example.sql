-- revision: {{revision}}
-- down_revision: none
-- message: create example table
-- created: {{created}}

-- migrate:upgrade
CREATE TABLE example (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- migrate:downgrade
DROP TABLE example;
