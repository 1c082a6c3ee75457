"""`alongside directory import-meeting-guide`: every row rule, idempotence, updates and removal."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alongside.directory.importer import clean_entry, import_entries
from alongside.directory.models import Listing, ListingKind, cell_of

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {
    "name": "Sunrise Serenity",
    "slug": "sunrise-serenity",
    "day": 2,
    "time": "07:00",
    "end_time": "08:00",
    "timezone": "America/New_York",
    "address": "10 Elm Street",
    "city": "Portland",
    "state": "ME",
    "postal_code": "04101",
    "country": "US",
    "latitude": 43.6591,
    "longitude": -70.2568,
    "types": ["O", "W", "S", "X", "NOT-A-CODE"],
    "notes": "<p>Back door, <b>ring</b> the bell.</p>",
    "url": "https://meetings.example.org/sunrise",
    "entity": "Portland Intergroup",
}


def _row(**changes: Any) -> dict[str, Any]:
    row = {**GOOD, **changes}
    return {k: v for k, v in row.items() if v is not ...}


def _run(tmp_path: Path, entries: Any, *args: str) -> dict[str, Any]:
    path = tmp_path / "portland.json"
    path.write_text(json.dumps(entries))
    out = StringIO()
    call_command("directory", "import-meeting-guide", str(path), *args, stdout=out)
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def test_a_good_entry_becomes_a_meeting_listing_with_the_search_index_fields(tmp_path: Path) -> None:
    online = _row(
        slug="evening-online",
        name="Evening Online",
        day=[1, 3, "5"],
        time="19:30",
        end_time=...,
        address=...,
        postal_code=...,
        latitude=...,
        longitude=...,
        city="Portland",
        approximate="yes",
        conference_url="https://video.example.org/j/9",
        conference_phone="+15550100000,,123#",
        types=["C", "EN", "Y"],
    )
    report = _run(tmp_path, [GOOD, online])
    assert report == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "rejected": [],
        "notes": [{"row": 1, "slug": "sunrise-serenity", "notes": ["Unknown types dropped: NOT-A-CODE."]}],
    }
    listing = Listing.objects.get(source="portland", external_slug="sunrise-serenity")
    assert listing.kind == ListingKind.MEETING and listing.organisation is None and listing.source_id is None
    assert listing.description == "Back door, ring the bell."
    assert listing.types == ["O", "S", "W", "X"]
    assert listing.languages == ["es"] and listing.communities == ["women"] and listing.accessibility == ["wheelchair"]
    assert listing.weekly == [{"day": 2, "time": "07:00", "end_time": "08:00"}]
    assert (listing.days_mask, listing.times_mask) == (1 << 2, 1)
    assert listing.cell == cell_of(43.6591, -70.2568)
    assert listing.is_in_person and not listing.is_online and listing.format == "in_person"
    assert listing.organisation_name == "Portland Intergroup" and listing.url == "https://meetings.example.org/sunrise"
    other = Listing.objects.get(source="portland", external_slug="evening-online")
    assert other.weekly == [
        {"day": d, "time": "19:30", "end_time": "20:30"} for d in (1, 3, 5)
    ]  # end_time defaults to an hour later
    assert (other.days_mask, other.times_mask) == ((1 << 1) | (1 << 3) | (1 << 5), 4)
    assert other.is_online and not other.is_in_person and other.format == "online" and other.approximate
    assert other.cell is None and other.audience == "youth" and other.languages == ["en"]


def test_afternoon_and_a_zip_only_address() -> None:
    fields, errors, _ = clean_entry(_row(time="12:00", latitude=..., longitude=...))
    assert not errors and fields is not None
    assert fields["times_mask"] == 2
    assert fields["latitude"] is not None and fields["cell"] == cell_of(fields["latitude"], fields["longitude"])
    fields, _, _ = clean_entry(_row(time="16:59"))
    assert fields is not None and fields["times_mask"] == 2
    fields, _, _ = clean_entry(_row(time="17:00", day=0))
    assert fields is not None and (fields["times_mask"], fields["days_mask"]) == (4, 1)


BAD_ROWS: list[tuple[Any, str]] = [
    ("not an object", "not a JSON object"),
    (_row(name=...), "name is required"),
    (_row(name="   "), "name is required"),
    (_row(name="<b></b>"), "name is required"),
    (_row(slug=...), "slug is required"),
    (_row(slug=""), "slug is required"),
    (_row(slug="x" * 256), "longer than 255"),
    (_row(day=...), "day is required"),
    (_row(day=7), "day must be 0–6"),
    (_row(day=-1), "day must be 0–6"),
    (_row(day="Monday"), "day must be 0–6"),
    (_row(day=[1, 9]), "day must be 0–6"),
    (_row(day=True), "day must be 0–6"),
    (_row(day=[]), "day is required"),
    (_row(time=...), "time must be HH:MM"),
    (_row(time="7pm"), "time must be HH:MM"),
    (_row(time="24:00"), "time must be HH:MM"),
    (_row(end_time="19:60"), "end_time must be HH:MM"),
    (_row(timezone=...), "timezone is required"),
    (_row(timezone="Mars/Olympus"), "not an IANA time zone"),
    (_row(timezone="../../etc/passwd"), "not an IANA time zone"),
    (_row(timezone="EST5EDT "), None),
    (_row(latitude=91), "latitude must be"),
    (_row(longitude=-181), "latitude must be"),
    (_row(latitude="north"), "latitude must be"),
    (_row(latitude=43.6, longitude=...), "latitude must be"),
    (_row(latitude=..., longitude=..., address=..., city=..., postal_code=...), "or an address"),
    (_row(conference_url="http://video.example.org/j/1"), "conference_url must be an https"),
    (_row(conference_url="javascript:alert(1)"), "conference_url must be an https"),
    (_row(conference_url="https://a b"), "conference_url must be an https"),
    (_row(conference_phone="call 555"), "conference_phone"),
    (_row(types="O,W"), "types must be a list"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ROWS)
def test_every_rule_rejects_with_a_reason(entry: Any, message: str | None) -> None:
    fields, errors, _ = clean_entry(entry)
    if message is None:
        assert fields is not None and not errors
        return
    assert fields is None
    assert any(message in error for error in errors), errors


def test_bad_rows_are_reported_and_good_ones_kept(tmp_path: Path) -> None:
    entries = [GOOD, _row(slug="bad-day", day=8, time="25:00"), _row(slug="sunrise-serenity", name="Twin"), 42]
    report = _run(tmp_path, entries, "--source", "Portland ME")
    assert report["created"] == 1
    rejected = {r["row"]: r for r in report["rejected"]}
    assert set(rejected) == {2, 3, 4}
    assert rejected[2]["slug"] == "bad-day" and len(rejected[2]["errors"]) == 2
    assert "used by an earlier entry" in rejected[3]["errors"][0]
    assert rejected[4] == {"row": 4, "slug": "", "errors": ["The entry is not a JSON object."]}
    assert Listing.objects.filter(source="Portland ME").count() == 1


def test_idempotent_updates_and_removal(tmp_path: Path) -> None:
    second = _row(slug="noon-group", name="Noon Group", time="12:00")
    assert _run(tmp_path, [GOOD, second])["created"] == 2
    before = {x.pk: x.updated_at for x in Listing.objects.all()}
    again = _run(tmp_path, [GOOD, second])
    assert (again["created"], again["updated"], again["unchanged"], again["removed"]) == (0, 0, 2, 0)
    assert {x.pk: x.updated_at for x in Listing.objects.all()} == before

    changed = _run(tmp_path, [_row(time="07:30")])
    assert (changed["created"], changed["updated"], changed["unchanged"], changed["removed"]) == (0, 1, 0, 1)
    listing = Listing.objects.get(external_slug="sunrise-serenity")
    assert listing.weekly[0]["time"] == "07:30" and listing.pk in before
    assert not Listing.objects.filter(external_slug="noon-group").exists()

    # Another source's listings are its own: importing this one never touches them.
    _run(tmp_path, [GOOD], "--source", "elsewhere")
    assert _run(tmp_path, [])["removed"] == 1
    assert Listing.objects.filter(source="elsewhere").count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "not an array"}', "must hold a JSON array"),
        ("[{]", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_a_file_that_is_not_a_feed_fails_clearly(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "feed.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("directory", "import-meeting-guide", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("directory", "import-meeting-guide", str(tmp_path / "missing.json"), stdout=StringIO())
    assert not Listing.objects.exists()


def test_an_import_is_whole_or_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    import_entries([GOOD], source="portland")
    original = Listing.save

    def failing_save(self: Listing, *args: Any, **kwargs: Any) -> None:
        if self.external_slug == "second":
            raise RuntimeError("disk full")
        original(self, *args, **kwargs)

    monkeypatch.setattr(Listing, "save", failing_save)
    with pytest.raises(RuntimeError):
        import_entries([_row(time="09:00"), _row(slug="second")], source="portland")
    monkeypatch.undo()
    assert list(Listing.objects.values_list("external_slug", flat=True)) == ["sunrise-serenity"]
    assert Listing.objects.get().weekly[0]["time"] == "07:00"
