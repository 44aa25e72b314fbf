"""The migrations, not create_all, build the schema: from nothing, on each database, twice."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hotline import create_app
from hotline.extensions import db
from hotline.models import Base
from tests.conftest import hotline_env
from tests.helpers import POSTGRES, create_database, drop_database


@pytest.fixture
def empty_database(database_url, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    name, url = create_database(prefix="hotline_mig_")
    yield url
    drop_database(POSTGRES, name)


def test_init_db_migrates_an_empty_database_and_models_agree(empty_database, tmp_path):
    app = create_app({"ENV": hotline_env(empty_database, HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
    for _ in range(2):  # safe to run again
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"render_as_batch": True})
            assert compare_metadata(context, Base.metadata) == []
        db.engine.dispose()
