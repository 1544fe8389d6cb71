"""Which branch each branch manager (支行行长) sees, read from a published warehouse (no Superset needed)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from contracts.errors import CrmwhError, ExitCode
from dashboards import branch_map
from dashboards.branch_map import Assignment, Branch, BranchMapError, SyncReport

BRANCHES = [
    ("100000", "总行", "HO"),
    ("110000", "北京分行", "REGION"),
    ("110100", "北京朝阳支行", "BRANCH"),
    ("110101", "望京网点", "SUB"),
    ("120100", "上海浦东支行", "BRANCH"),
]
RMS = [("R001", "110100", True), ("R002", "110101", True), ("R003", "120100", False), ("R004", "100000", True)]


@pytest.fixture(autouse=True)
def no_demo_branch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(branch_map.ENV_DEMO_BRANCH, raising=False)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.dim_branch (branch_code VARCHAR, branch_name VARCHAR, branch_level_code VARCHAR)")
    con.executemany("INSERT INTO marts.dim_branch VALUES (?, ?, ?)", BRANCHES)
    con.execute("CREATE TABLE marts.dim_relationship_manager (rm_id VARCHAR, branch_code VARCHAR, is_active BOOLEAN)")
    con.executemany("INSERT INTO marts.dim_relationship_manager VALUES (?, ?, ?)", RMS)
    con.close()
    return path


def _managers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "managers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _mapped(result: branch_map.BranchMap) -> dict[str, tuple[str, str]]:
    return {name: (a.branch.code, a.source) for name, a in result.assignments.items()}


def test_active_rms_get_their_branch_and_the_demo_user_the_first_branch(warehouse: Path) -> None:
    result = branch_map.load_branch_map(warehouse, demo_user="branch_manager")
    assert _mapped(result) == {
        "R001": ("110100", branch_map.SOURCE_ROSTER),
        "R002": ("110101", branch_map.SOURCE_ROSTER),  # a 网点 is a subtree of its own
        "branch_manager": ("110100", branch_map.SOURCE_DEMO),
    }  # R003 has left; R004 sits in the head office, which is no branch subtree
    assert result.rejected == []


def test_the_managers_file_comes_first_and_bad_lines_map_nobody(warehouse: Path, tmp_path: Path) -> None:
    managers = _managers(
        tmp_path,
        "\ufeffUsername, Branch_Code\n"  # Excel's BOM and spacing are fine
        "R001,120100\n"
        "wang,110000\n"
        "\n"
        "R002,999999\n"
        "li,100000\n"
        "wang,110100\n",
    )
    result = branch_map.load_branch_map(warehouse, managers)
    assert _mapped(result) == {"R001": ("120100", branch_map.SOURCE_FILE), "wang": ("110000", branch_map.SOURCE_FILE)}
    # R002's wrong line does not fall back to the roster: a manager whose line is wrong sees nothing until fixed.
    assert result.rejected == [
        "managers.csv line 5: R002: branch '999999' is not in marts.dim_branch",
        "managers.csv line 6: li: 100000 总行 is the head office, not a branch subtree "
        "(a user who sees every branch needs the 分析师 role)",
        "managers.csv line 7: wang is listed twice",
    ]
    assert result.from_file == {"R001", "wang", "R002", "li"}


def test_demo_branch_from_the_environment(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(branch_map.ENV_DEMO_BRANCH, "120100")
    assert _mapped(branch_map.load_branch_map(warehouse, demo_user="demo"))["demo"] == ("120100", "demo user")
    monkeypatch.setenv(branch_map.ENV_DEMO_BRANCH, "100000")
    with pytest.raises(BranchMapError, match="CRMWH_SUPERSET_DEMO_BRANCH='100000' is not a branch"):
        branch_map.load_branch_map(warehouse, demo_user="demo")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user,branch\nR001,110100\n", "must start with the header line 'username,branch_code'"),
        ("", "must start with the header line"),
        ("username,branch_code\nR001\n", "line 2: expected 'username,branch_code', got 'R001'"),
        ("username,branch_code\n,110100\n", "line 2: expected"),
    ],
)
def test_an_unusable_managers_file_is_named_and_changes_nothing(
    warehouse: Path, tmp_path: Path, text: str, message: str
) -> None:
    managers = _managers(tmp_path, text)
    with pytest.raises(BranchMapError, match=message) as caught:
        branch_map.load_branch_map(warehouse, managers)
    assert str(managers) in str(caught.value)
    assert caught.value.exit_code == ExitCode.FAILED


def test_missing_inputs_are_expected_errors(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(BranchMapError, match="does not exist: build it first"):
        branch_map.load_branch_map(tmp_path / "nowhere.duckdb")
    with pytest.raises(BranchMapError, match=r"the managers file .* does not exist"):
        branch_map.load_branch_map(warehouse, tmp_path / "nowhere.csv")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(BranchMapError, match="has no readable branch or RM dimension"):
        branch_map.load_branch_map(empty)
    assert issubclass(BranchMapError, CrmwhError)


def test_the_served_link_is_followed(warehouse: Path, tmp_path: Path) -> None:
    link = tmp_path / "served.duckdb"
    link.symlink_to(warehouse.name)
    assert "R001" in branch_map.load_branch_map(link).assignments


def test_report_is_stable_and_exit_one_when_a_manager_has_no_branch() -> None:
    branch = Branch("110100", "北京朝阳支行", "BRANCH")
    mapped = [Assignment("zz", branch, "RM roster"), Assignment("aa", branch, "managers file")]
    report = SyncReport(mapped=mapped, unmapped=["nobody"], rejected=[], not_managers=["ghost"])
    assert report.lines() == [
        "branch managers: 2 mapped, 1 without a branch (they see no rows)",
        "  aa → 110100 北京朝阳支行 (managers file)",
        "  zz → 110100 北京朝阳支行 (RM roster)",
        "  nobody: no branch: not in the managers file and not the staff id of an active RM",
        "managers file: not a 支行行长 user in Superset (ignored): ghost",
    ]
    assert report.exit_code == ExitCode.REJECTED
    assert SyncReport(mapped=mapped, unmapped=[], rejected=[], not_managers=["ghost"]).exit_code == ExitCode.OK
    assert SyncReport(mapped=[], unmapped=[], rejected=["x"], not_managers=[]).exit_code == ExitCode.REJECTED
