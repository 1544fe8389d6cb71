"""Publishing swaps a finished working copy over the served warehouse, atomically and never half-done."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from crmwh import publish


def _make_served(path: Path, amount: str) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT CAST(? AS DECIMAL(18,2)) AS amount", [amount])
    con.close()


def _amount(path: Path) -> Decimal:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT amount FROM t").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


def test_work_copy_is_private_and_publish_replaces_served(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    _make_served(served, "1.10")
    work = publish.prepare_work_copy(served)
    assert work != served and work.exists()
    con = duckdb.connect(str(work))
    con.execute("UPDATE t SET amount = 2.20")
    con.close()
    assert _amount(served) == Decimal("1.10")  # building does not touch what is served
    publish.publish(work, served)
    assert _amount(served) == Decimal("2.20")
    assert not work.exists()
    assert not publish.wal_path(served).exists()


def test_reader_opened_before_the_swap_keeps_working_and_next_reader_sees_new_file(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    _make_served(served, "1.00")
    reader = duckdb.connect(str(served), read_only=True)
    work = publish.prepare_work_copy(served)
    con = duckdb.connect(str(work))
    con.execute("UPDATE t SET amount = 3.00")
    con.close()
    publish.publish(work, served)
    assert reader.execute("SELECT amount FROM t").fetchone()[0] == Decimal("1.00")
    reader.close()
    assert _amount(served) == Decimal("3.00")


def test_discarded_build_leaves_served_unchanged(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    _make_served(served, "5.00")
    work = publish.prepare_work_copy(served)
    con = duckdb.connect(str(work))
    con.execute("UPDATE t SET amount = 9.99")
    con.close()
    publish.discard(work)
    assert not work.exists()
    assert _amount(served) == Decimal("5.00")


def test_served_file_with_a_wal_is_refused(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    _make_served(served, "1.00")
    publish.wal_path(served).write_bytes(b"x")
    with pytest.raises(publish.PublishError, match=r"\.wal exists"):
        publish.prepare_work_copy(served)


def test_second_concurrent_build_fails_fast(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    with (
        publish.build_lock(served),
        pytest.raises(publish.PublishError, match="another command is changing"),
        publish.build_lock(served),
    ):
        pass
    with publish.build_lock(served):  # released after the first build
        pass


def test_first_build_starts_from_nothing(tmp_path: Path) -> None:
    served = tmp_path / "sub" / "wh.duckdb"
    served.parent.mkdir()
    work = publish.prepare_work_copy(served)
    assert not work.exists()
    _make_served(work, "7.00")
    publish.publish(work, served)
    assert _amount(served) == Decimal("7.00")


def test_each_publish_is_a_version_of_its_own_behind_the_served_link(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    _make_served(served, "1.00")  # a plain file, as left by an older release: the first publish turns it into a link
    versions = []
    for amount in ("2.00", "3.00", "4.00"):
        work = publish.prepare_work_copy(served)
        con = duckdb.connect(str(work))
        con.execute("UPDATE t SET amount = ?", [amount])
        con.close()
        versions.append(publish.publish(work, served))
        assert served.is_symlink() and publish.resolve_served(served) == versions[-1]
        assert versions[-1].parent == publish.versions_dir(served)
        assert _amount(served) == Decimal(amount)
    assert len(set(versions)) == 3
    # the served version and the one before it stay; older ones go
    assert publish.list_versions(served) == versions[1:]
    assert not any(p.name.endswith(".swap") for p in tmp_path.iterdir())


def test_reader_of_the_previous_version_does_not_hide_the_new_one(tmp_path: Path) -> None:
    # DuckDB hands a new connection the database already open under the same path in the process. Readers that open
    # the resolved version file (as Superset does) get the new warehouse even while a query on the old one is open.
    served = tmp_path / "wh.duckdb"
    first = publish.prepare_work_copy(served)
    _make_served(first, "1.00")
    publish.publish(first, served)
    old_reader = duckdb.connect(str(publish.resolve_served(served)), read_only=True)
    work = publish.prepare_work_copy(served)
    con = duckdb.connect(str(work))
    con.execute("UPDATE t SET amount = 2.00")
    con.close()
    publish.publish(work, served)
    new_reader = duckdb.connect(str(publish.resolve_served(served)), read_only=True)
    try:
        assert new_reader.execute("SELECT amount FROM t").fetchone()[0] == Decimal("2.00")  # type: ignore[index]
        assert old_reader.execute("SELECT amount FROM t").fetchone()[0] == Decimal("1.00")  # type: ignore[index]
    finally:
        new_reader.close()
        old_reader.close()


def test_served_link_with_a_wal_beside_its_version_is_refused(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    work = publish.prepare_work_copy(served)
    _make_served(work, "1.00")
    version = publish.publish(work, served)
    publish.wal_path(version).write_bytes(b"x")
    with pytest.raises(publish.PublishError, match=r"\.wal exists"):
        publish.prepare_work_copy(served)


def test_published_versions_are_not_world_readable(tmp_path: Path) -> None:
    """A warehouse version is the owner's to write and their group's (Superset's service account) to read."""
    served = tmp_path / "wh.duckdb"
    _make_served(served, "1.00")
    version = publish.publish(publish.prepare_work_copy(served), served)
    assert oct(version.stat().st_mode & 0o777) == oct(publish.VERSION_MODE) == oct(0o640)
    assert oct(version.parent.stat().st_mode & 0o777) == oct(0o750)


def _publish_amount(served: Path, amount: str) -> Path:
    work = publish.prepare_work_copy(served)
    if not work.exists():
        _make_served(work, amount)
    else:
        con = duckdb.connect(str(work))
        con.execute("UPDATE t SET amount = ?", [amount])
        con.close()
    return publish.publish(work, served)


def test_a_crash_inside_publish_never_costs_the_previous_served_version(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.18: a publish killed after its version file was written but before the link swung left a
    never-served version; the next prune kept it by age and deleted the version served before."""
    served = tmp_path / "wh.duckdb"
    _publish_amount(served, "1.00")
    second = _publish_amount(served, "2.00")
    with monkeypatch.context() as m:
        def crash(*_args: object) -> None:
            raise KeyboardInterrupt  # stands for the process dying between the rename and the link swing
        m.setattr(publish, "_swing_link", crash)
        with pytest.raises(KeyboardInterrupt):
            _publish_amount(served, "3.00")
    assert publish.resolve_served(served) == second and _amount(served) == Decimal("2.00")
    fourth = _publish_amount(served, "4.00")
    # kept: the served version and the one served before it; the orphan of the crash is gone
    assert publish.list_versions(served) == [second, fourth]
    assert publish.previous_version(served) == second


def test_restore_serves_the_previous_version_and_can_be_undone(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    with pytest.raises(publish.PublishError, match=r"no previous version|not a published version"):
        publish.restore_previous(served)
    first = _publish_amount(served, "1.00")
    second = _publish_amount(served, "2.00")
    assert publish.restore_previous(served) == (second, first)
    assert _amount(served) == Decimal("1.00")
    assert publish.restore_previous(served) == (first, second)  # and back
    assert _amount(served) == Decimal("2.00")
    assert [name for _, name in publish.served_history(served)] == [first.name, second.name, first.name, second.name]


def test_a_read_only_warehouse_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.17: the lock file could not be created and the command died with a traceback."""
    served = tmp_path / "wh.duckdb"

    def denied(*_args: object, **_kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(publish.lock_path(served)))

    monkeypatch.setattr(publish.os, "open", denied)
    with pytest.raises(publish.PublishError, match=r"cannot write in the warehouse folder .*Permission denied"), \
            publish.build_lock(served):
        pass


def test_the_lock_names_its_holder(tmp_path: Path) -> None:
    served = tmp_path / "wh.duckdb"
    with publish.build_lock(served, "ingest"), \
            pytest.raises(publish.PublishError, match=rf"pid {os.getpid()}, crmwh ingest"), \
            publish.build_lock(served):
        pass


def test_a_warehouse_folder_reached_through_a_link_keeps_its_served_version(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "via").symlink_to(real)
    served = tmp_path / "via" / "wh.duckdb"
    versions = [_publish_amount(served, amount) for amount in ("1.00", "2.00", "3.00")]
    assert _amount(served) == Decimal("3.00")
    assert [p.name for p in publish.list_versions(served)] == [v.name for v in versions[1:]]
    assert publish.previous_version(served) == versions[1]
