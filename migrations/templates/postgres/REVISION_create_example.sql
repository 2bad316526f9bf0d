-- revision: {{revision}}
-- down_revision: none
-- message: create example table
-- created: {{created}}

-- migrate:upgrade
CREATE TABLE example (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE example;
