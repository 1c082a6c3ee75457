"""The rule language: word sets and rules, as written in the data files and by admins.

A **word set** is a named list of terms; a term is one word or a few words in a row
(``"parking garage"``). A **rule** is a line of parts:

- ``@name`` — any term of the word set ``name`` ("@self" matches "myself", "my self"...);
- a plain word — that word in any form (its stem: "kill" matches kills, killed, killing);
- ``=word`` — exactly that spelling ("=mato" does not match "mata"); the words that follow it
  in the same term or run of plain words are exact too ("=me va a" is "me va a" exactly);
- ``word*`` — any word that starts so (at least 3 letters before the ``*``);
- ``...`` — up to ``GAP`` (4) other words may come between its neighbours; ``..`` up to
  ``SHORT_GAP`` (2); ``~`` up to ``LONG_GAP`` (12), the rest of a sentence;
- ``#many`` — a number of at least 8 ("took 30 of them");
- ``&`` — joins chunks that must all be in the same sentence, in any order
  ("@self_ref & @death & @longing").

Parts without ``...`` between them must follow each other directly. All parts must be in one
sentence (commas and "but" may come between them; . ! ? ; : and line breaks may not).

A rule also has a concept, a tier (``urgent`` or ``check_in``) and, optionally:
``negatable`` (default yes: a negation cue just before it in the same clause cancels it),
``firm`` (a context such as "prevention" or "years ago" never lowers it: first-person present
intent or means), ``raise`` (word sets that make a check-in rule urgent when they are in the same
sentence: "I want to die *tonight*") and ``unless`` (word sets that cancel it when they are in
the same sentence: "he beat me *at chess*").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alongside.warmline.screening.text import fold

__all__ = ["GAP", "SHORT_GAP", "MAX_PARTS", "Part", "RuleSyntaxError", "Term", "Word", "parse_rule", "parse_term"]

GAP = 4
SHORT_GAP = 2
LONG_GAP = 12
MAX_PARTS = 10
MIN_PREFIX = 3
SET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_WORD = re.compile(r"^[^\W_]+(?:[-'’][^\W_]+)*$")


class RuleSyntaxError(ValueError):
    """A rule or term that cannot be read; ``code`` names what is wrong, ``detail`` where."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Word:
    kind: str  # "stem", "exact" or "prefix"
    text: str  # folded; for "prefix" the start of the word


Term = tuple[Word, ...]


@dataclass(frozen=True)
class Part:
    """One part of a rule: a set name, or a literal term (its words in a row)."""

    set_name: str = ""
    term: Term = ()
    gap: int = 0  # how many other words may come before it, after the previous part
    chunk: int = 0  # parts joined by "&" are in other chunks: anywhere in the same sentence


@dataclass(frozen=True)
class RuleSpec:
    text: str
    parts: tuple[Part, ...]
    concept: str
    tier: str
    negatable: bool = True
    firm: bool = False
    raise_with: tuple[str, ...] = field(default=())
    unless: tuple[str, ...] = field(default=())


def _word(piece: str, exact: bool = False) -> list[Word]:
    """One typed piece ("kill", "=mato", "suicid*", "self-harm", "don't") as words."""
    kind = "exact" if exact else "stem"
    if piece == "#many":
        return [Word("stem", "#many")]
    if piece.startswith("="):
        kind, piece = "exact", piece[1:]
    if piece.endswith("*"):
        if kind == "exact":
            raise RuleSyntaxError("star", piece)
        kind, piece = "prefix", piece[:-1]
    if "*" in piece or not piece:
        raise RuleSyntaxError("star" if "*" in piece else "characters", piece)
    if not _WORD.match(piece):
        raise RuleSyntaxError("characters", piece)
    words = [w for w in re.split(r"[-]", fold(piece)) if w]
    out = [Word("stem" if kind == "prefix" else kind, w) for w in words]
    if kind == "prefix":
        if len(words[-1]) < MIN_PREFIX:
            raise RuleSyntaxError("short_prefix", piece)
        out[-1] = Word("prefix", words[-1])
    return out


def parse_term(text: str, *, exact: bool = False) -> Term:
    """A word set's term: plain words (``=`` and ``*`` allowed), no ``@`` or ``...``; with
    ``exact`` every word matches as written (context sets)."""
    pieces = text.split()
    if not pieces:
        raise RuleSyntaxError("empty")
    words: list[Word] = []
    for piece in pieces:
        if piece.startswith("@") or piece in ("...", "…", "..", "~", "&"):
            raise RuleSyntaxError("term_reference", piece)
        exact = exact or piece.startswith("=")
        words.extend(_word(piece, exact))
    if len(words) > MAX_PARTS:
        raise RuleSyntaxError("too_long")
    return tuple(words)


def parse_rule(text: str, *, set_names: frozenset[str] | set[str]) -> tuple[Part, ...]:
    """A rule's parts, or RuleSyntaxError (codes: empty, characters, star, short_prefix, too_long,
    unknown_set, gap_edge). Chunks joined by ``&`` may come in any order in the same sentence."""
    chunks: list[list[str]] = [[]]
    for piece in text.split():
        if piece == "&":
            chunks.append([])
        else:
            chunks[-1].append(piece)
    if not any(chunks):
        raise RuleSyntaxError("empty")
    if not all(chunks):
        raise RuleSyntaxError("gap_edge")
    parts = [
        Part(p.set_name, p.term, p.gap, number) for number, chunk in enumerate(chunks) for p in _chunk(chunk, set_names)
    ]
    if sum(len(p.term) or 1 for p in parts) > MAX_PARTS:
        raise RuleSyntaxError("too_long")
    return tuple(parts)


def _chunk(pieces: list[str], set_names: frozenset[str] | set[str]) -> tuple[Part, ...]:
    parts: list[Part] = []
    pending: list[Word] = []
    gap = 0
    gap_pending = 0
    exact = False

    def flush() -> None:
        nonlocal pending, gap_pending
        if pending:
            parts.append(Part(term=tuple(pending), gap=gap_pending))
            pending = []
            gap_pending = 0

    for piece in pieces:
        if piece in ("...", "…", "..", "~"):
            if not parts and not pending:
                raise RuleSyntaxError("gap_edge")
            flush()
            gap = {"..": SHORT_GAP, "~": LONG_GAP}.get(piece, GAP)
            continue
        if piece.startswith("@"):
            name = piece[1:].lower()
            if not SET_NAME.match(name) or name not in set_names:
                raise RuleSyntaxError("unknown_set", piece)
            flush()
            parts.append(Part(set_name=name, gap=gap))
            gap = 0
            continue
        if gap and pending:
            flush()
        if not pending:
            gap_pending = gap
            gap = 0
            exact = False
        exact = exact or piece.startswith("=")
        pending.extend(_word(piece, exact))
    if gap:
        raise RuleSyntaxError("gap_edge")
    flush()
    return tuple(parts)
