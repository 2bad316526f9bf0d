-- revision: {{revision}}
-- down_revision: none
-- message: create example table
-- created: {{created}}

-- migrate:upgrade
CREATE TABLE example (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- migrate:downgrade
DROP TABLE example;
