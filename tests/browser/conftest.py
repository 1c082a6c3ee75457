"""Real-browser fixtures: the system Chromium driven by Playwright against pytest-django's live server.

One Chromium for the whole run and a fresh browser context (cookies, storage, cache) for every test.
Nothing leaves the machine: every context aborts requests to any origin but the live server's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import Tenant, make_tenant, set_audit_triggers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this folder drives Chromium, so `-m "not browser"` leaves the whole folder out.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every test in this folder (package scope: this folder is the package,
    so it is one browser per run, and it closes as soon as the last browser test is done)."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests need it"
        if os.environ.get("ALONGSIDE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ALONGSIDE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop marked as running in this (the test) thread for
    # as long as Playwright is started. Django then refuses ORM calls from the test thread (fixtures
    # making users, pytest-django flushing the database) with SynchronousOnlyOperation, although they
    # are ordinary blocking calls and no coroutine ever shares their connection. So the check is
    # switched off exactly while Playwright runs, and restored afterwards so the rest of the suite
    # keeps Django's protection (which is also why this fixture is package- rather than session-scoped).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def same_origin(url: str, base: str) -> bool:
    if url.startswith("data:"):
        return True
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc) == (other.scheme, other.netloc)


@pytest.fixture
def make_context(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """New browser contexts on the live server; keyword arguments go to ``browser.new_context``."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options = {"base_url": live_server.url, "locale": "en-US", "timezone_id": "UTC", **options}
        context = browser.new_context(service_workers="block", **options)
        context.set_default_timeout(5_000)
        context.set_default_navigation_timeout(10_000)
        # The safety net: anything for another origin is answered with a network error, never sent.
        # A test may put its own page.route in front (page routes win over context routes).
        context.route(lambda url: not same_origin(url, live_server.url), lambda route: route.abort())
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_context: Callable[..., BrowserContext]) -> Page:
    return make_context().new_page()


# --- The database ---------------------------------------------------------------------------
# The live server answers from another thread, so these tests commit for real (transactional_db) and
# pytest-django empties the database after each one with Django's flush. The audit table refuses DELETE
# and TRUNCATE by database trigger (audit migration 0002), which would make every flush fail. So the
# triggers are in place while each test runs, lifted just for the flush, and put back for good when the
# last browser test is done, before any other test in the run uses the database.
@pytest.fixture(scope="package", autouse=True)
def _audit_triggers_back_afterwards(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        set_audit_triggers(present=True)


@pytest.fixture(autouse=True)
def _audit_triggers_lifted_for_flush(transactional_db: Any) -> Iterator[None]:
    # Set up after transactional_db, so torn down (triggers lifted) just before its flush.
    set_audit_triggers(present=True)
    yield
    set_audit_triggers(present=False)


@pytest.fixture
def tenant(transactional_db: Any) -> Tenant:
    """``harbor`` with a person in each role, a public program and a site (see tests/conftest.py).

    Transactional: the live server runs in another thread and must see these rows committed."""
    return make_tenant("harbor")
