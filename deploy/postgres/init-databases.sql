-- Mounted into the postgres image's /docker-entrypoint-initdb.d/: psql runs it once,
-- on the first start with an empty data volume, as POSTGRES_USER (who owns the
-- databases). One database per service ("one data source": no service reads
-- another's tables); the gateway has none. Each service creates its own tables
-- with its Alembic migrations when it starts.
-- Names must match the <NAME>_DB_URL variables in docker-compose.yml
-- (tests/unit/test_compose.py checks that they do).
CREATE DATABASE gridgov_grid ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE gridgov_people ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE gridgov_tickets ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE gridgov_scoring ENCODING 'UTF8' TEMPLATE template0;
