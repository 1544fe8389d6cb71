"""Data Docs: a static site that loads no CSS or JS from the internet, styled from local copies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from expectations import build_data_docs
from expectations.data_docs import CDN_FILES, VENDOR_DIR, DataDocsError, _rewrite_page

from support.quality_fixture import build_raw_fixture

# Builds a site (GX rendering) and may run `npm ci` for the assets the first time: not a quick unit test.
pytestmark = pytest.mark.slow

ASSET_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
LOCAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']([^"'#?]+)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("docs")
    warehouse = base / "wh.duckdb"
    batches = build_raw_fixture(warehouse)
    ref_latest = max(b for (system, _), b in batches.items() if system == "ref")
    index = build_data_docs(warehouse, base / "site", stages=("raw",), batch_ids=[ref_latest])
    assert index == base / "site" / "index.html"
    return base / "site"


def test_pages_load_no_css_or_js_from_the_internet(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5  # index, suites, validation results
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote = [tag for tag in ASSET_TAG.findall(html) if REMOTE.search(tag)]
        assert remote == [], f"{page} loads from the internet: {remote[:3]}"
        assert not CSS_REMOTE.search(html), page
        assert "integrity=" not in html, page
    for sheet in site.rglob("*.css"):
        assert not CSS_REMOTE.search(sheet.read_text(encoding="utf-8")), sheet


def test_every_local_asset_a_page_names_is_in_the_site(site: Path) -> None:
    for page in site.rglob("*.html"):
        for tag in ASSET_TAG.findall(page.read_text(encoding="utf-8")):
            for ref in LOCAL_REF.findall(tag):
                if ref.startswith(("http:", "https:", "data:", "mailto:")):
                    continue
                assert (page.parent / ref).resolve().exists(), f"{page}: {ref} is missing"
    vendor = site / VENDOR_DIR
    assert (vendor / "bootstrap/dist/css/bootstrap.min.css").stat().st_size > 100_000
    assert any((vendor / "@fortawesome/fontawesome-free/webfonts").glob("*.woff2"))


def test_validation_pages_name_each_expectation_with_its_severity(site: Path) -> None:
    page = next(p for p in site.rglob("*.html") if "validations" in p.parts and "ref__branches" in str(p))
    html = page.read_text(encoding="utf-8")
    assert "[critical] raw.ref__branches.not_null.branch_code" in html
    assert "[critical] raw.ref__branches.row_count_matches_control" in html


def test_an_unknown_cdn_asset_is_an_error_not_a_silent_download(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<html><script src="https://cdn.example.org/lib.js"></script></html>', encoding="utf-8")
    with pytest.raises(DataDocsError, match="no local copy"):
        _rewrite_page(page, tmp_path, set())
    known = next(iter(CDN_FILES))
    page.write_text(f'<link rel="stylesheet" href="{known}" integrity="sha384-x" crossorigin="anonymous">',
                    encoding="utf-8")
    used: set[str] = set()
    _rewrite_page(page, tmp_path, used)
    assert used == {CDN_FILES[known]}
    assert page.read_text(encoding="utf-8") == f'<link rel="stylesheet" href="static/vendor/{CDN_FILES[known]}">'


def test_a_folder_with_other_content_is_not_emptied(tmp_path: Path, site: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DataDocsError, match="not empty"):
        build_data_docs(tmp_path / "nowhere.duckdb", tmp_path)
    assert (tmp_path / "keep.txt").exists()
