"""Great Expectations Data Docs as a static site that works offline.

GX's page templates load Bootstrap, jQuery, Font Awesome, bootstrap-table, Vega and a logo from CDNs and S3. Here
those files come from npm instead (``expectations/assets/package.json``, installed into its ``node_modules`` by
``npm ci``), are copied into the site under ``static/vendor/`` and every page is rewritten to load them by relative
path, so the pages open styled from ``file://`` with no network. A CDN reference this module does not know (a GX
upgrade adding one) is an error rather than a page that silently goes online.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from contracts.errors import CrmwhError

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
NODE_MODULES = ASSETS_DIR / "node_modules"
VENDOR_DIR = Path("static") / "vendor"

# CDN address GX 1.24's templates use -> the same file in node_modules (package versions pinned in package.json;
# popper.js is 1.16.1 instead of 1.12.9 because Bootstrap 4.3.1 declares popper.js ^1.14.7).
CDN_FILES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Folders a copied stylesheet refers to relatively (Font Awesome's ../webfonts/).
CDN_DIRS = ("@fortawesome/fontawesome-free/webfonts",)
# GX's logo comes from S3; the site's own static/images has the same logo.
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
MARKER = ".crmwh-data-docs"

_ASSET_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
_TAG_URL = re.compile(r"""(?P<attr>\b(?:src|href))\s*=\s*(?P<q>["'])(?P<url>https?://[^"']+)(?P=q)""", re.IGNORECASE)
_SRI = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*(["'])[^"']*\1""", re.IGNORECASE)
# A site-relative reference to the site's own static folder, however many "../" GX put in front of it.
_STATIC_REF = re.compile(
    r"""(?P<attr>\b(?:src|href))\s*=\s*(?P<q>["'])(?:\./|(?:\.\./)+)?(?P<path>static/[^"']+)(?P=q)"""
)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>https?://[^"')]+)(?P=q)\s*\)""", re.IGNORECASE)


class DataDocsError(CrmwhError):
    """The Data Docs site cannot be made offline (assets missing, or a page loads something unknown)."""


def ensure_assets() -> Path:
    """``node_modules`` with every file the pages need; runs ``npm ci`` once when it is missing."""
    wanted = [NODE_MODULES / f for f in CDN_FILES.values()] + [NODE_MODULES / d for d in CDN_DIRS]
    if all(p.exists() for p in wanted):
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None:
        raise DataDocsError(
            f"the Data Docs assets are not installed in {NODE_MODULES} and npm is not available: install Node.js "
            f"and run `npm ci --prefix {ASSETS_DIR}` (make setup does)"
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(ASSETS_DIR)],
        capture_output=True,
        text=True,
    )
    missing = [str(p) for p in wanted if not p.exists()]
    if result.returncode != 0 or missing:
        raise DataDocsError(
            f"`npm ci --prefix {ASSETS_DIR}` failed (exit {result.returncode}); missing {missing[:3]}\n"
            + (result.stderr or result.stdout)[-2000:]
        )
    return NODE_MODULES


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def _local_for(url: str, site: Path, page: Path, used: set[str]) -> str | None:
    if url.startswith(GX_IMAGES):
        return _relative(site / LOCAL_LOGO, page)
    local = CDN_FILES.get(url)
    if local is None:
        return None
    used.add(local)
    return _relative(site / VENDOR_DIR / local, page)


def _rewrite_page(page: Path, site: Path, used: set[str]) -> None:
    """Point a page's (or GX stylesheet's) external assets at their local copies."""
    html = page.read_text(encoding="utf-8")

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        found = _TAG_URL.search(text)
        if found is None:
            return text
        url = found.group("url")
        is_asset = text.lower().startswith(("<script", "<img")) or "stylesheet" in text.lower()
        local = _local_for(url, site, page, used)
        if local is None:
            if is_asset:
                raise DataDocsError(f"{page}: loads {url}, which has no local copy; add it to CDN_FILES in {__file__}")
            return text
        text = text[: found.start("url")] + local + text[found.end("url") :]
        return _SRI.sub("", text)  # the local file is not the CDN's byte for byte (popper); SRI would block it

    def css_url(match: re.Match[str]) -> str:
        local = _local_for(match.group("url"), site, page, used)
        if local is None:
            raise DataDocsError(f"{page}: CSS loads {match.group('url')}, which has no local copy")
        return f"url('{local}')"

    def static_ref(match: re.Match[str]) -> str:
        # GX counts the "../" of validation pages from the suite name's dots, one level short of where it writes
        # them, so their own stylesheet and favicon do not load; point them at the site's static folder.
        if page.suffix != ".html":
            return match.group(0)
        q = match.group("q")
        return f"{match.group('attr')}={q}{_relative(site / match.group('path'), page)}{q}"

    new = _STATIC_REF.sub(static_ref, _CSS_URL.sub(css_url, _ASSET_TAG.sub(tag, html)))
    if new != html:
        page.write_text(new, encoding="utf-8")


def make_offline(site: Path) -> None:
    """Copy the CDN assets into ``site/static/vendor`` and point every page of ``site`` at them."""
    modules = ensure_assets()
    used: set[str] = set()
    vendor = site / VENDOR_DIR
    pages = [*site.rglob("*.html"), *(p for p in site.rglob("*.css") if vendor not in p.parents)]
    for page in sorted(pages):
        _rewrite_page(page, site, used)
    for rel in sorted(used):
        (vendor / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / rel, vendor / rel)
    if any(rel.startswith("@fortawesome/") for rel in used):
        for rel_dir in CDN_DIRS:
            shutil.copytree(modules / rel_dir, vendor / rel_dir, dirs_exist_ok=True)
