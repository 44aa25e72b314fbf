"""The benchmark's command line refuses what it cannot run, before it builds anything."""

import pytest

from bench import stages


def test_stages_refuses_a_database_it_does_not_know(capsys):
    with pytest.raises(SystemExit) as stopped:
        stages.main(["--dbs", "sqlite,postgresql", "--count", "1"])
    assert stopped.value.code == 2
    assert "no database postgresql (choose from sqlite, postgres)" in capsys.readouterr().err
