"""Render dashboards in headless Chromium after logging in; a screenshot and a verdict per dashboard, as JSON.

    .venv-superset/bin/python tests/support/browser.py --url http://127.0.0.1:8088 --user admin --password ... \
        --out test-artifacts/superset --slug management --slug customer-value

Runs in ``.venv-superset`` (Selenium is a Superset dependency) with Debian's ``chromium`` and ``chromedriver``. A
dashboard passes when the page is the dashboard (not the login page), every chart holder contains a rendered
canvas, SVG or table and no chart shows an error alert. Prints one JSON object: slug → result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,2400",
    "--lang=zh-CN",
)

# Counted in the page: chart holders, those with something drawn, and error alerts inside charts.
_PROBE = """
const holders = Array.from(document.querySelectorAll('.dashboard-component-chart-holder'));
const drawn = holders.filter(h => h.querySelector('canvas, svg, table, .header-line, .big-number'));
const errors = Array.from(document.querySelectorAll(
    '.dashboard-component-chart-holder .alert-danger, .dashboard-component-chart-holder [role="alert"]'));
const loading = document.querySelectorAll(
    '.dashboard-component-chart-holder .loading, [data-test="loading-indicator"]');
return {holders: holders.length, drawn: drawn.length, errors: errors.map(e => e.innerText.slice(0, 200)),
        loading: loading.length, title: document.title, url: location.href,
        login: !!document.querySelector('input[name="password"], #password')};
"""


def _driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def login(driver: Any, url: str, user: str, password: str, timeout: float) -> None:
    """Log in through the server-rendered login form (as a browser posts it), then hand the session to Chromium."""
    import re

    import requests

    web = requests.Session()
    page = web.get(f"{url}/login/", timeout=timeout)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if not token:
        raise RuntimeError(f"{url}/login/ has no CSRF token (HTTP {page.status_code})")
    answer = web.post(
        f"{url}/login/",
        data={"username": user, "password": password, "csrf_token": token.group(1)},
        timeout=timeout,
        allow_redirects=False,
    )
    if answer.status_code not in (302, 303) or "/login" in answer.headers.get("Location", "/login"):
        raise RuntimeError(f"login as {user!r} failed: HTTP {answer.status_code}")
    driver.get(f"{url}/static/assets/images/favicon.png")  # any page of the origin, to be allowed to set its cookie
    for cookie in web.cookies:
        driver.add_cookie({"name": cookie.name, "value": cookie.value, "path": "/"})


def render(driver: Any, url: str, slug: str, out: Path, timeout: float) -> dict[str, Any]:
    driver.get(f"{url}/superset/dashboard/{slug}/?standalone=1")
    started = time.monotonic()
    state: dict[str, Any] = {}
    while time.monotonic() - started < timeout:
        state = driver.execute_script(_PROBE)
        if state["login"] or state["errors"]:
            break
        if state["holders"] and state["drawn"] == state["holders"] and not state["loading"]:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # let the last animation settle before the screenshot
    state = driver.execute_script(_PROBE)
    shot = out / f"dashboard-{slug}.png"
    driver.save_screenshot(str(shot))
    state["screenshot"] = str(shot)
    state["seconds"] = round(time.monotonic() - started, 2)
    state["ok"] = bool(
        not state["login"] and state["holders"] and state["drawn"] == state["holders"] and not state["errors"]
    )
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/support/browser.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--slug", action="append", required=True)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        login(driver, args.url, args.user, args.password, args.timeout)
        results = {slug: render(driver, args.url, slug, args.out, args.timeout) for slug in args.slug}
    finally:
        driver.quit()
    print(json.dumps(results, ensure_ascii=False))
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
