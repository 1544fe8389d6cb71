"""PDF reports as printed pages, not pictures: Chromium's print-to-PDF of the dashboard, A4, text searchable.

Superset 6.1 builds a report's PDF from PNG screenshots, so a reader cannot search or copy a figure and the page size
is whatever the window was. In the production profile (``superset_config.FLASK_APP_MUTATOR``) the report command's
PDF step is replaced by :func:`render_pdf`: the same URL (report mode, ``standalone=3``), the same executor (so
row-level security applies exactly as in the UI), the same waits for the charts, then ``Page.printToPDF`` on A4
portrait. A failed rendering is tried again (``PDF_TRIES``) before the report is marked failed in the execution log.

Runs inside Superset's worker (``.venv-superset``).
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

log = logging.getLogger("crmwh.superset.report_pdf")

PDF_TRIES = 3
RETRY_PAUSE_S = 5.0
A4_CM = (21.0, 29.7)
MARGIN_CM = 1.0
# Width of the browser window the dashboard is laid out in before printing: A4 minus margins at 96 dpi, so the grid
# wraps as it will print (the print step scales nothing).
PRINT_WINDOW = (1100, 1500)


def _print_once(url: str, user: Any) -> bytes:
    from flask import current_app
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from superset.utils.webdriver import WebDriverSelenium

    config = current_app.config
    proxy = WebDriverSelenium(config["WEBDRIVER_TYPE"], PRINT_WINDOW)
    driver = proxy.auth(user)
    try:
        driver.set_window_size(*PRINT_WINDOW)
        driver.get(url)
        WebDriverWait(driver, config["SCREENSHOT_LOCATE_WAIT"]).until(
            ec.presence_of_element_located((By.CLASS_NAME, "grid-container"))
        )
        try:
            WebDriverWait(driver, config["SCREENSHOT_LOCATE_WAIT"]).until(
                ec.visibility_of_all_elements_located((By.CLASS_NAME, "chart-container"))
            )
        except TimeoutException:
            log.warning("no chart container became visible at %s; printing what there is", url)
        WebDriverWait(driver, config["SCREENSHOT_LOAD_WAIT"]).until_not(
            ec.presence_of_all_elements_located((By.CLASS_NAME, "loading"))
        )
        time.sleep(config["SCREENSHOT_SELENIUM_ANIMATION_WAIT"])
        # An error inside a chart would print as the error box: refuse instead, so the failure is logged and retried.
        errors = driver.find_elements(By.CSS_SELECTOR, ".chart-container [role='alert']")
        if errors:
            raise RuntimeError(f"{len(errors)} chart(s) show an error: {errors[0].text[:300]}")
        options = PrintOptions()
        options.page_width, options.page_height = A4_CM
        options.margin_top = options.margin_bottom = MARGIN_CM
        options.margin_left = options.margin_right = MARGIN_CM
        options.background = True
        options.orientation = "portrait"
        return base64.b64decode(driver.print_page(options))
    finally:
        WebDriverSelenium.destroy(driver, config["SCREENSHOT_SELENIUM_RETRIES"])


def render_pdf(url: str, user: Any, tries: int = PDF_TRIES) -> bytes:
    """The page at ``url`` as the ``user`` sees it, printed to an A4 PDF; retried ``tries`` times in all."""
    last: Exception | None = None
    for attempt in range(1, tries + 1):
        try:
            return _print_once(url, user)
        except Exception as exc:  # Chromium crashes, time-outs and chart errors alike are worth another try
            last = exc
            log.warning("printing %s to PDF failed (try %d of %d): %s", url, attempt, tries, exc)
            if attempt < tries:
                time.sleep(RETRY_PAUSE_S)
    raise RuntimeError(f"printing to PDF failed {tries} times: {last}") from last


def install() -> None:
    """Replace the report command's PDF step (dashboards only; a chart keeps Superset's own PDF)."""
    from flask import current_app
    from superset.commands.report import execute
    from superset.commands.report.exceptions import ReportScheduleScreenshotFailedError
    from superset.extensions import security_manager
    from superset.tasks.utils import get_executor
    from superset.utils.core import override_user
    from superset.utils.urls import modify_url_query

    original = execute.BaseReportState._get_pdf

    def _get_pdf(self: Any) -> bytes:
        if self._report_schedule.chart:
            return original(self)
        _, username = get_executor(executors=current_app.config["ALERT_REPORTS_EXECUTORS"], model=self._report_schedule)
        user = security_manager.find_user(username)
        try:
            with override_user(user):
                # One page set per report: the pack has no tabs, so this is the dashboard (with its filters).
                url = self.get_dashboard_urls()[0]
            return render_pdf(modify_url_query(url, standalone="3"), user)
        except Exception as exc:
            raise ReportScheduleScreenshotFailedError(f"Failed printing the dashboard: {exc}") from exc

    execute.BaseReportState._get_pdf = _get_pdf
