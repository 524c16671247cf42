"""Root fixtures. nameko's pytest plugin no longer monkey-patches, and psycopg2
is only green once patched: so this comes first."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import contextlib  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

import infra as infrastructure  # noqa: E402
from stack import Stack, stack_env  # noqa: E402


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra():
    found = infrastructure.discover()
    yield found
    for container in found.containers:
        container.stop()


@pytest.fixture(scope="session")
def broker(infra):
    if infra.skip_reason:
        pytest.skip(infra.skip_reason)
    return infra


@pytest.fixture
def scratch_db(infra, tmp_path):
    """An empty database for one test: PostgreSQL when there is one, else SQLite."""
    if not infra.postgres:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"gridgov_t_{uuid.uuid4().hex[:10]}"
    yield infrastructure.create_database(infra, name)
    infrastructure.drop_database(infra, name)


@pytest.fixture
def amqp_uri(broker):
    """A fresh RabbitMQ vhost for one test, and the URI for it."""
    vhost, uri = infrastructure.create_vhost(broker)
    yield uri
    infrastructure.delete_vhost(broker, vhost)


@pytest.fixture
def containers():
    """``containers(ServiceClass, config)``: a nameko container started for this test,
    stopped (the last started first) when it ends."""
    from nameko.containers import ServiceContainer

    started = []

    def start(cls, config):
        container = ServiceContainer(cls, config)
        container.start()
        started.append(container)
        return container

    yield start
    for container in reversed(started):
        container.stop()


@pytest.fixture
def open_db(scratch_db):
    """``open_db("tickets", MIGRATIONS_DIR)``: that service's database, migrated, in this
    test's scratch database (or at ``url``); disposed of when the test ends."""
    from common.cli import open_database

    handles = []

    def opened(service, migrations_dir, url=None):
        handles.append(open_database(service, migrations_dir, {"DB_URL": url or scratch_db}))
        return handles[-1]

    yield opened
    for handle in handles:
        handle.engine.dispose()


@contextlib.contextmanager
def platform(infra, tmp_path_factory, reuse_environment_databases=True, amqp_uri=None, extra_env=None):
    """All five components as real processes on a fresh vhost and databases;
    ``amqp_uri``: a broker of the caller's own (a private node), used as it is;
    ``extra_env``: settings of this platform's own (``{"AMQP_QUEUE_TYPE": "quorum"}``)."""
    vhost = None
    if amqp_uri is None:
        vhost, amqp_uri = infrastructure.create_vhost(infra)
    created = []
    db_urls = {}
    for service in infrastructure.SERVICES:
        if reuse_environment_databases and service in infra.service_db_urls:
            infrastructure.reset_schema(infra.service_db_urls[service])
            db_urls[service] = infra.service_db_urls[service]
        elif infra.postgres:
            name = f"gridgov_it_{service}_{uuid.uuid4().hex[:6]}"
            db_urls[service] = infrastructure.create_database(infra, name)
            created.append(name)
    data_dir = tmp_path_factory.mktemp("data")
    for service in infrastructure.SERVICES:  # SQLite fallback: files the tests can read too
        db_urls.setdefault(service, f"sqlite:///{data_dir / (service + '.db')}")
    log_dir = tmp_path_factory.mktemp("logs")
    running = Stack(dict(stack_env(amqp_uri, db_urls, data_dir), **(extra_env or {})), log_dir)
    running.vhost = vhost  # None when the management API made none
    try:
        running.start()
        yield running
    finally:
        running.stop()
        print(f"\nservice logs: {log_dir}")
        infrastructure.delete_vhost(infra, vhost)
        for name in created:
            infrastructure.drop_database(infra, name)


@pytest.fixture(scope="session")
def stack(broker, tmp_path_factory):
    """The platform most integration tests share (each makes its own data)."""
    with platform(broker, tmp_path_factory) as running:
        yield running


@pytest.fixture
def platform_with(broker, tmp_path_factory):
    """``with platform_with(AMQP_QUEUE_TYPE="quorum") as stack``: a platform of the test's
    own, on fresh databases, with those settings."""
    return lambda **settings: platform(broker, tmp_path_factory, reuse_environment_databases=False,
                                       extra_env=settings)


@pytest.fixture(scope="module")
def own_stack(broker, tmp_path_factory):
    """A platform of the module's own, for tests that must not share one (the fuzz run
    creates whatever the schema allows)."""
    with platform(broker, tmp_path_factory, reuse_environment_databases=False) as running:
        yield running


@pytest.fixture(scope="module")
def platform_on():
    """``platform_on(broker, tmp_path_factory, amqp_uri=...)``: the ``platform`` context
    manager, for a module that starts a stack on a broker of its own (the chaos test)."""
    return platform
