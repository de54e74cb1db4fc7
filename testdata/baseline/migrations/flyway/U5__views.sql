DROP TABLE IF EXISTS users CASCADE;
CREATE TABLE down_section_was_applied (id int);
