"""Debian's chromium, headless, driven by Selenium through Debian's chromedriver.

    driver = start_chromium()            # never Selenium Manager, never a download
    page = Dashboard(driver, "http://127.0.0.1:8080/")
    page.open(); page.wait(lambda d: ...)   # WebDriverWait on the page's own DOM, never a sleep

The dashboard marks its progress on <body> (docs/dashboard.md, "Test hooks"): data-loaded,
data-stream (connecting, live, stale), data-seq (the last event applied), data-pending
(frontends waiting to be re-read).
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Callable, Dict, List, Optional

CHROMIUM = os.environ.get("MAGLEV_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MAGLEV_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


def browser_missing() -> Optional[str]:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and shutil.which(path) is None:
            return f"{path} is missing (scripts/setup.sh installs chromium and chromium-driver)"
    return None


def start_chromium(width: int = 1400, height: int = 1000) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--enable-precise-memory-info",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class Dashboard:
    """One dashboard page in the shared browser."""

    def __init__(self, driver: Any, url: str, timeout: float = 20.0) -> None:
        self.driver = driver
        self.url = url
        self.timeout = timeout

    def open(self, token: Optional[str] = None) -> Dashboard:
        """Load the page (a fresh tab state: no token), log in when given one, wait until live."""
        self.driver.get("about:blank")
        self.driver.get(self.url)
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(self.url)
        if token is not None:
            self.login(token)
        return self

    def login(self, token: str) -> None:
        from selenium.webdriver.common.by import By

        field = self.driver.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        self.driver.find_element(By.ID, "login-button").click()

    def wait(self, predicate: Callable[[Any], Any], what: str = "the page", timeout: Optional[float] = None) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.05).until(
            predicate, message=f"waited for {what}"
        )

    def body(self, name: str) -> Optional[str]:
        return self.driver.execute_script("return document.body.dataset[arguments[0]]", name)

    def wait_live(self) -> None:
        self.wait(lambda d: self.body("stream") == "live" and self.body("loaded") == "1", "the page to be live")

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def frontend_rows(self) -> List[Dict[str, str]]:
        return self.js(
            """return Array.from(document.querySelectorAll('tr.frontend')).map(r => ({
                name: r.dataset.frontend,
                state: r.querySelector('.state').dataset.state,
                vip: r.querySelector('.vip').textContent,
                pool: r.querySelector('.active-pool').textContent}))"""
        )

    def expand(self, frontend: str) -> None:
        self.js(
            "document.querySelector('tr.frontend[data-frontend=\"' + CSS.escape(arguments[0]) + '\"] button.expand').click()",
            frontend,
        )
        self.wait(lambda d: self.member_rows(frontend), f"the pools of {frontend}")

    def member_rows(self, frontend: str) -> List[Dict[str, Any]]:
        return self.js(
            """return Array.from(document.querySelectorAll('tr.member')).filter(
                r => r.dataset.frontend === arguments[0]).map(r => ({
                backend: r.dataset.backend, pool: r.dataset.pool,
                state: r.querySelector('.state').dataset.state,
                name_text: r.querySelector('.be-name').textContent,
                configured: Number(r.querySelector('.cfg-weight').textContent),
                weight: Number(r.querySelector('.eff-weight').textContent),
                actions: r.querySelectorAll('button[data-action]').length}))""",
            frontend,
        )

    def member(self, frontend: str, backend: str, pool: Optional[str] = None) -> Optional[Dict[str, Any]]:
        for row in self.member_rows(frontend):
            if row["backend"] == backend and (pool is None or row["pool"] == pool):
                return row
        return None

    def click_action(self, frontend: str, pool: str, backend: str, action: str) -> None:
        # Found and clicked in one task, after the script returns (the page's confirm() would
        # block it): a re-render between finding the button and clicking it would leave a
        # detached button whose click reaches no handler.
        self.js(
            """const args = arguments;
               setTimeout(() => Array.from(document.querySelectorAll('button[data-action]')).find(b =>
                 b.dataset.frontend === args[0] && b.dataset.pool === args[1] &&
                 b.dataset.backend === args[2] && b.dataset.action === args[3]).click(), 0);""",
            frontend,
            pool,
            backend,
            action,
        )

    def accept_dialog(self, text: Optional[str] = None) -> str:
        """Wait for the confirm/prompt the page opened, answer it (a prompt gets `text`)."""
        from selenium.webdriver.support import expected_conditions

        alert = self.wait(expected_conditions.alert_is_present(), "a dialog")
        message = alert.text
        if text is not None:
            alert.send_keys(text)
        alert.accept()
        return message

    def notice(self) -> str:
        return self.js("const n = document.getElementById('notice'); return n.hidden ? '' : n.textContent")
