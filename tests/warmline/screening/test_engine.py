"""The screening engine with the built-in rules (no database): English and Spanish messages that
flag and that do not, negations and clause boundaries, word boundaries, accents, apostrophes,
repeated letters, mixed languages, and the phrase syntax."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from alongside.warmline.screening import DEFAULTS_FILE, Verdict, default_rules, normalise, phrase_words, screen

# (message, a rule phrase that must be among the matches)
ENGLISH_FLAGS = [
    ("I want to die", "want to die"),
    ("honestly i just want to die tonight", "want to die"),
    ("I've been feeling suicidal", "suicid*"),
    ("thinking about suicide a lot", "suicid*"),
    ("I'm going to kill myself", "kill* myself"),
    ("I keep thinking about killing myself", "kill* myself"),
    ("I want to end my life", "end my life"),
    ("I just want to end it all", "end it all"),
    ("I'm going to take my own life", "take my own life"),
    ("everyone would be better off without me", "better off without me"),
    ("I'd be better off dead", "better off dead"),
    ("I wish I was dead", "wish i was dead"),
    ("I don't want to live anymore", "don't want to live"),
    ("i dont want to be alive", "don't want to be alive"),
    ("There's no reason to live", "no reason to live"),
    ("I have nothing to live for", "nothing to live for"),
    ("I can't go on like this", "can't go on"),
    ("I took an overdose an hour ago", "overdos*"),
    ("I've been stockpiling pills", "stockpil* pills"),
    ("I'm going to hang myself", "hang myself"),
    ("I cut myself again last night", "cut* myself"),
    ("I've been self-harming", "self harm*"),
    ("This is goodbye. Thank you for everything", "this is goodbye"),
    ("I'm going to kill him", "kill* him"),
    ("he is hitting me right now", "hitting me"),
    ("My partner is threatening to kill me", "threaten* to kill me"),
    ("I'm in danger", "in danger"),
    ("I wanna dieeee", "wanna die"),
    ("I’m SUICIDAL!!!", "suicid*"),
    ("I'm not safe at home", "not safe at home"),
]

ENGLISH_CLEAR = [
    "I have good coping skills",
    "My daughter's skills are improving",
    "I'm not suicidal",
    "I am not suicidal, just tired",
    "I would never kill myself",
    "I don't want to die",
    "I'm not going to hurt myself",
    "This homework is killing me",
    "The hotel suite was lovely",
    "I killed it at work today",
    "I want to live",
    "I'm having a hard day but I'm okay",
    "My back hurts",
    "I need someone to talk to",
    "Can we talk about my job?",
    "I'm feeling lonely tonight",
    "I no longer feel suicidal",
    "I've never been in danger",
    "I'm not in danger",
    "It's a dead end job",
    "She killed the spider",
    "I'm dying to see the new film",
    "I'd never hurt someone",
    "I want to diet",
    "there's no way I'd kill myself",
    "I don't want to die, I want things to change",
]

SPANISH_FLAGS = [
    ("Quiero suicidarme", "suicid*"),
    ("pienso en el suicidio", "suicid*"),
    ("Me voy a matar", "me voy a matar"),
    ("quiero matarme", "matarme"),
    ("Me quiero morir", "me quiero morir"),
    ("quiero morirme ya", "quiero morir*"),
    ("voy a quitarme la vida", "quitarme la vida"),
    ("Quiero acabar con mi vida", "acabar con mi vida"),
    ("quiero acabar con todo", "acabar con todo"),
    ("ojala estuviera muerta", "ojalá estuviera muert*"),
    ("estaría mejor muerto", "mejor muert*"),
    ("todos estarian mejor sin mi", "estarían mejor sin mí"),
    ("Ya no quiero vivir", "ya no quiero vivir"),
    ("no quiero seguir viviendo", "no quiero seguir viviendo"),
    ("no vale la pena vivir", "no vale la pena vivir"),
    ("NO PUEDO MAS", "no puedo más"),
    ("no aguanto más", "no aguanto más"),
    ("me tomé todas las pastillas", "todas las pastillas"),
    ("tomé una sobredosis", "sobredosis"),
    ("voy a ahorcarme", "ahorcarme"),
    ("me corto los brazos", "me corto"),
    ("quiero hacerme dano", "hacerme daño"),
    ("adios para siempre", "adiós para siempre"),
    ("este es mi ultimo mensaje", "mi último mensaje"),
    ("voy a matarlo", "matarl*"),
    ("estoy en peligro", "en peligro"),
    ("mi pareja me está pegando", "me está pegando"),
    ("me quiere matar", "me quiere matar"),
    ("no estoy a salvo en casa", "no estoy a salvo"),
    ("Me quierooo morirrr", "me quiero morir"),
]

SPANISH_CLEAR = [
    "No quiero matarme",
    "Nunca pensé en suicidarme",
    "Jamás me voy a matar",
    "Quiero vivir",
    "Estoy cansada pero bien",
    "Mi perro se murió",
    "Me pegó un susto",
    "tengo un corte de pelo nuevo",
    "La película me mató de risa",
    "necesito hablar con alguien",
    "no estoy en peligro",
    "tampoco quiero hacerme daño",
    "me siento sola esta noche",
    "quiero hablar de mi trabajo",
    "mi vida ha mejorado",
    "tengo esperanza",
    "me gusta cortar el pasto",
    "el médico dice que estoy bien",
    "quiero dormir",
    "la sobremesa fue larga",
    "no me pega nadie",
    "ella nunca me golpea",
    "Hoy es un buen día",
    "estoy triste",
    "no es mi despedida",
]


@pytest.mark.parametrize(("text", "phrase"), ENGLISH_FLAGS)
def test_english_flags(text: str, phrase: str) -> None:
    verdict = screen(text, language="en")
    assert verdict.flag and phrase in verdict.matched, verdict


@pytest.mark.parametrize("text", ENGLISH_CLEAR)
def test_english_does_not_flag(text: str) -> None:
    assert screen(text, language="en") == Verdict(flag=False, matched=[])


@pytest.mark.parametrize(("text", "phrase"), SPANISH_FLAGS)
def test_spanish_flags(text: str, phrase: str) -> None:
    verdict = screen(text, language="es")
    assert verdict.flag and phrase in verdict.matched, verdict


@pytest.mark.parametrize("text", SPANISH_CLEAR)
def test_spanish_does_not_flag(text: str) -> None:
    assert screen(text, language="es") == Verdict(flag=False, matched=[])


@pytest.mark.parametrize(
    ("text", "language", "flag"),
    [
        # A negation cue up to 3 words before, in the same clause, cancels a negatable phrase.
        ("I'm not suicidal", "en", False),
        ("I have never been suicidal", "en", False),
        ("no, I'm not going to kill myself", "en", False),
        ("I no longer want to die", "en", False),
        ("Nunca pensé en suicidarme", "es", False),
        ("tampoco quiero hacerme daño", "es", False),
        # ... but not across a clause boundary (punctuation, or "but", "and", "pero", "y").
        ("not now, but I want to die", "en", True),
        ("No. I want to die.", "en", True),
        ("I'm not okay and I want to die", "en", True),
        ("I'm not sure but I'm suicidal", "en", True),
        ("No sé, pero me quiero morir", "es", True),
        ("no estoy bien y quiero matarme", "es", True),
        # ... nor from further away than 3 words.
        ("not that I would really want to die", "en", True),
        # Phrases that hold their own negation are never cancelled.
        ("No, I don't want to live", "en", True),
        ("never again, I can't go on", "en", True),
        ("no, ya no quiero vivir", "es", True),
        ("nunca, no puedo más", "es", True),
    ],
)
def test_negations(text: str, language: str, flag: bool) -> None:
    assert screen(text, language=language).flag is flag


def test_a_negated_phrase_still_flags_where_it_is_said_again_without_negation() -> None:
    assert screen("I'm not suicidal. Actually I am suicidal", language="en").matched == ["suicid*"]


def test_word_boundaries() -> None:
    assert not screen("skills, skillful, unkillable, myself").flag
    assert not screen("I want to diet").flag
    assert screen("kill myself").flag
    assert screen("KILL MYSELF").flag


@pytest.mark.parametrize(
    "text", ["I don't want to live", "I don’t want to live", "I dont want to live", "I DON'T WANT TO LIVE"]
)
def test_apostrophes_straight_curly_or_missing(text: str) -> None:
    assert screen(text).matched == ["don't want to live"]


def test_accents_either_way() -> None:
    for text in ["quiero suicidarme", "quiero suicidárme", "adiós para siempre", "adios para siempre"]:
        assert screen(text, language="es").flag, text
    assert screen("Jamás quiero matarme", language="es").flag is False
    assert screen("jamas quiero matarme", language="es").flag is False
    assert normalise("Jamás Ñandú") == normalise("jamas nandu")


def test_repeated_letters_punctuation_and_spaces() -> None:
    assert screen("I want    to ...   dieeeee!!!").matched == ["want to die"]
    assert screen("kiiiilll   myselfff").matched == ["kill* myself"]
    assert screen("want-to-die").matched == ["want to die"]


def test_matched_lists_each_rule_once_in_rule_order() -> None:
    verdict = screen("I want to die. I want to die. I'm suicidal")
    assert verdict.matched == ["suicid*", "want to die"]


def test_mixed_and_unknown_languages_use_both_rule_sets() -> None:
    # An English conversation with Spanish in it (marker words such as "quiero" add the Spanish rules).
    assert screen("I'm tired, quiero morirme", language="en").matched == ["quiero morir*"]
    assert screen("honestly I want to die", language="es").matched == ["want to die"]
    for language in ("", "auto", "fr"):
        assert screen("suicidarme", language=language).flag
        assert screen("kill myself", language=language).flag
    # Without a marker word, only the language asked for.
    assert not screen("matarme", language="en").flag


def test_empty_text_does_not_flag() -> None:
    assert screen("") == Verdict(flag=False, matched=[])
    assert screen("   ...  ") == Verdict(flag=False, matched=[])


@pytest.mark.parametrize(
    ("phrase", "error"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("kill.*", "star"),
        ("*", "star"),
        ("su*cide", "star"),
        ("ab*", "short_prefix"),
        ("want to (die)", "characters"),
        ("a b c d e f g h i", "too_long"),
    ],
)
def test_phrase_syntax_errors(phrase: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        phrase_words(phrase)


def test_phrase_words() -> None:
    assert phrase_words("Suicid*") == (("suicid", True),)
    assert phrase_words("don’t  want") == (("dont", False), ("want", False))
    assert phrase_words("self-harm*") == (("self", False), ("harm", True))


def test_the_defaults() -> None:
    data = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    for language in ("en", "es"):
        rules = default_rules(language)
        assert 30 <= len(rules) <= 55
        words = [phrase_words(rule["phrase"]) for rule in rules]  # every phrase is valid
        assert len(set(words)) == len(words), "duplicate default phrases"
        assert all(rule["note"] for rule in rules)
        cues = {normalise(cue) for cue in data["languages"][language]["negation_cues"]}
        for rule, phrase in zip(rules, words, strict=True):
            if not rule["negatable"]:  # holds its own negation
                assert cues & {word for word, _prefix in phrase}, rule["phrase"]


@pytest.mark.parametrize(
    "text",
    [
        "im sucidal",  # a misspelling beyond repeated letters
        "I've sorted out who gets my cat",  # implied, not said
        "I'm not saying I want to die, but",  # a negation can hide a real signal
        "je veux mourir",  # another language
    ],
)
def test_what_the_rules_do_not_catch_as_documented(text: str) -> None:
    assert not screen(text, language="auto").flag


DEFAULT_PHRASES = {rule["phrase"] for language in ("en", "es") for rule in default_rules(language)}


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=500), st.sampled_from(["en", "es", "auto"]))
def test_any_text_gets_a_verdict(text: str, language: str) -> None:
    verdict = screen(text, language=language)
    assert verdict.flag is bool(verdict.matched)
    assert set(verdict.matched) <= DEFAULT_PHRASES and len(set(verdict.matched)) == len(verdict.matched)
