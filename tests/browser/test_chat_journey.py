"""The chat journey in Chromium with three browser contexts: a visitor starts a chat from the line's
public page, a peer on shift claims it, messages go both ways over WebSockets, a check-in phrase
prompts the peer only (the board shows "Check in"), a crisis phrase shows
the visitor the crisis options at once and the supervisor's board an alert (the supervisor joins the
chat from it), the peer records what
happened next on the safety concern and closes with a message, and the visitor leaves feedback.
axe-core is clean on the public line page, the pre-chat page, the visitor's conversation and the
board; every request stays on the server's origin.

pytest-django's live server speaks WSGI only, so this test runs the real ASGI application (HTTP with
static files, and the sockets) under uvicorn in a thread of this process: the in-memory channel
layer is shared by every consumer and view, and the server reads the test database."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import uvicorn
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import close_old_connections
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Browser, BrowserContext, Page, expect

from alongside.asgi import application
from alongside.safety.models import Escalation, Outcome
from alongside.warmline.models import (
    AssignmentHow,
    Conversation,
    ConversationState,
    Line,
    Shift,
    ShiftAssignment,
)
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant

pytestmark = pytest.mark.browser

CRISIS_PHRASE = "I want to kill myself"
CHECK_IN_PHRASE = "Some days I just want to die"


class AsgiServer:
    """uvicorn serving the ASGI application on a free loopback port, in a thread of this process."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://localhost:{self.port}"
        app = ProtocolTypeRouter(
            {
                "http": ASGIStaticFilesHandler(application.application_mapping["http"]),
                "websocket": application.application_mapping["websocket"],
            }
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="off", ws="websockets-sansio", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def asgi_server(transactional_db: Any) -> Iterator[AsgiServer]:
    server = AsgiServer()
    server.start()
    yield server
    server.stop()
    close_old_connections()


@pytest.fixture
def contexts(browser: Browser, asgi_server: AsgiServer) -> Iterator[Callable[..., BrowserContext]]:
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options = {"base_url": asgi_server.url, "locale": "en-US", "timezone_id": "UTC", **options}
        context = browser.new_context(service_workers="block", **options)
        context.set_default_timeout(5_000)
        context.set_default_navigation_timeout(10_000)
        context.route(lambda url: not same_origin(url, asgi_server.url), lambda route: route.abort())
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def open_line(tenant: Tenant) -> Line:
    """A public line with chat, open around the clock, with the peer on shift and the supervisor on duty."""
    now = timezone.now()
    with scopes_disabled():
        line = Line.objects.create(
            organisation=tenant.organisation,
            name="Evening Talk Line",
            slug="evening",
            description="Talk with someone who has been there.",
            chat_enabled=True,
            languages=["en"],
            hours=[{"day": d, "opens": "00:00", "closes": "00:00", "overnight": True} for d in range(7)],
        )
        shift = Shift.objects.create(
            organisation=tenant.organisation,
            line=line,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            supervisor=tenant.user("supervisor"),
        )
        ShiftAssignment.objects.create(
            organisation=tenant.organisation, shift=shift, user=tenant.user("peer"), how=AssignmentHow.ASSIGNED
        )
    return line


def test_visitor_peer_and_supervisor_chat_journey(
    contexts: Callable[..., BrowserContext], tenant: Tenant, asgi_server: AsgiServer
) -> None:
    line = open_line(tenant)
    slug = tenant.organisation.slug
    requested: list[str] = []

    def recorded_page(**options: Any) -> Page:
        context = contexts(**options)
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    # --- 1. The visitor finds the line and asks to chat. ---
    visitor = recorded_page(viewport={"width": 390, "height": 800})
    visitor.goto(f"/directory/lines/{slug}/{line.slug}/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Evening Talk Line")
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Chat with a peer").click()
    expect(visitor.get_by_label("What is on your mind?")).to_be_visible()
    assert_accessible(visitor)
    visitor.get_by_label("A first name or a nickname").fill("Robin")
    visitor.get_by_label("What is on your mind?").fill("A rough week at home, I would like to talk.")
    visitor.get_by_label(re.compile("I understand this is peer support")).check()
    visitor.get_by_role("button", name=re.compile("Start")).click()
    expect(visitor.get_by_text("You are number 1 in the queue.")).to_be_visible()
    assert_accessible(visitor)

    # --- 2. The peer on shift sees the queue and takes the chat; the supervisor opens the board. ---
    peer = recorded_page()
    sign_in(peer, tenant.user("peer"), confirmed_device(tenant.user("peer")), asgi_server, slug)
    supervisor = recorded_page()
    sign_in(supervisor, tenant.user("supervisor"), confirmed_device(tenant.user("supervisor")), asgi_server, slug)
    supervisor.goto(f"/app/{slug}/warmline/board/")
    expect(supervisor.get_by_role("heading", name="Evening Talk Line")).to_be_visible()
    expect(supervisor.get_by_text("1 person waiting")).to_be_visible()
    expect(supervisor.get_by_text("Live: this board updates by itself.")).to_be_visible()
    assert_accessible(supervisor)

    peer.goto(f"/app/{slug}/warmline/chat/")
    peer.get_by_role("button", name="Take this chat").click()
    expect(peer.get_by_role("heading", level=1)).to_contain_text("Conversation with Robin")
    expect(visitor.get_by_text("A peer supporter joined the conversation.")).to_be_visible()
    expect(supervisor.get_by_text("0 people waiting")).to_be_visible()  # the board refreshed itself

    # --- 3. Messages both ways over the sockets. ---
    peer.get_by_label("Your message").fill("Hi Robin, I'm here. What's been going on?")
    peer.get_by_label("Your message").press("Enter")
    expect(visitor.get_by_text("Hi Robin, I'm here. What's been going on?")).to_be_visible()
    visitor.get_by_label("Your message").fill("Thanks. Things with my family are hard.")
    visitor.get_by_label("Your message").press("Enter")
    expect(peer.get_by_text("Things with my family are hard.")).to_be_visible()

    # --- 4a. A check-in: a calm prompt for the peer only; the board shows the tier. ---
    visitor.get_by_label("Your message").fill(CHECK_IN_PHRASE)
    visitor.get_by_label("Your message").press("Enter")
    expect(peer.get_by_role("heading", name="Check in about safety")).to_be_visible()
    expect(peer.locator("[data-chat-checkin]")).to_contain_text("Are you thinking about suicide")
    expect(peer.locator("[data-chat-checkin]")).to_contain_text("A wish to die or not be here")
    expect(supervisor.get_by_text("Check in", exact=True).first).to_be_visible()  # the board refreshed itself
    expect(visitor.get_by_role("heading", name="Help is available right now")).to_be_hidden()
    assert_accessible(peer)

    # --- 4. A crisis phrase: crisis options for the visitor at once, an alert on the board. ---
    visitor.get_by_label("Your message").fill(CRISIS_PHRASE)
    visitor.get_by_label("Your message").press("Enter")
    crisis = visitor.get_by_role("heading", name="Help is available right now")
    expect(crisis).to_be_visible()
    expect(visitor.locator("[data-chat-crisis]")).to_contain_text("988")
    expect(visitor.locator("[data-chat-crisis]")).to_contain_text("911")
    assert_accessible(visitor)
    alert = supervisor.get_by_role("alert")
    expect(alert.get_by_role("link", name=re.compile("Crisis signal in a chat"))).to_be_visible()
    expect(supervisor.get_by_role("heading", name="Crisis signals")).to_be_visible()
    expect(peer.get_by_role("heading", name="Crisis signal: follow the checklist")).to_be_visible()
    expect(peer.get_by_role("heading", name="Check in about safety")).to_be_hidden()  # urgent now
    expect(supervisor.get_by_text("Urgent", exact=True).first).to_be_visible()
    assert_accessible(supervisor)

    # The supervisor opens the chat from the alert: no words until they join; joining is announced.
    alert.get_by_role("link", name=re.compile("Crisis signal in a chat")).click()
    expect(supervisor.get_by_role("button", name="Join this conversation")).to_be_visible()
    expect(supervisor.get_by_text(CRISIS_PHRASE)).to_have_count(0)
    supervisor.get_by_role("button", name="Join this conversation").click()
    expect(supervisor.get_by_text(CRISIS_PHRASE)).to_be_visible()
    expect(peer.get_by_text("A supervisor joined the conversation.")).to_be_visible()
    expect(visitor.get_by_text("A supervisor joined the conversation.")).to_be_visible()

    # --- 5. The peer records what happened next, then closes with a message. ---
    peer.reload()
    chat_page = peer.url
    peer.get_by_role("link", name=re.compile("Record what happened next")).click()
    peer.get_by_label("988 or other crisis resources given").check()
    peer.get_by_role("button", name="Save what happened next").click()
    expect(peer.get_by_text("988 or other crisis resources given").first).to_be_visible()
    peer.goto(chat_page)
    expect(peer.get_by_text("What happened next: 988 or other crisis resources given")).to_be_visible()
    peer.get_by_label("A last message to the person").fill("Thank you for reaching out, Robin. Take care.")
    peer.get_by_role("button", name="Close", exact=True).click()
    expect(peer.get_by_role("heading", name="Live chat")).to_be_visible()

    # --- 6. The visitor sees the goodbye, then leaves feedback. ---
    expect(visitor.get_by_text("Thank you for reaching out, Robin. Take care.")).to_be_visible()
    expect(visitor.get_by_text("This conversation has ended.").first).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_role("heading", name="How was it?")).to_be_visible()
    visitor.get_by_label("5", exact=True).check()
    visitor.get_by_role("button", name="Send feedback").click()
    expect(visitor.get_by_text(re.compile("Thank you"))).to_be_visible()

    with scopes_disabled():
        conversation = Conversation.objects.get(line=line)
        assert conversation.state == ConversationState.CLOSED and conversation.feedback_rating == 5
        escalation = Escalation.objects.get(pk=conversation.escalation_id)
        assert escalation.outcome == Outcome.RESOURCES_GIVEN
    foreign = [url for url in requested if not same_origin(url, asgi_server.url)]
    assert not foreign, f"requests to other origins: {foreign}"
