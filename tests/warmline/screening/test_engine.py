"""The screening engine with the built-in rules (no database): every concept in English and Spanish
with its tier, negation inside a clause and not across one, contexts that lower a match but never a
first-person statement of intent or means, hyperbole, words as people type them (stems, one-letter
misspellings, digits and symbols as letters, censored letters, repeated letters, chat spellings,
slang, risk emoji, Spanish without accents, attached pronouns, voseo), mixed languages, the rule
syntax, and the labelled corpus's recall as a floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from alongside.warmline.screening import CONCEPTS, RuleSyntaxError, Verdict, builtin, parse_rule, parse_term, screen

URGENT, CHECK_IN = "urgent", "check_in"

# (message, language, concept that must be among the matches, tier of the whole message)
CASES = [
    # suicide_intent
    ("I'm going to shoot myself", "en", "suicide_intent", URGENT),
    ("i have a plan to kill myself this weekend", "en", "suicide_intent", URGENT),
    ("I've been feeling really suicidal", "en", "suicide_intent", URGENT),
    ("Me voy a quitar la vida esta noche", "es", "suicide_intent", URGENT),
    ("quiero matarme", "es", "suicide_intent", URGENT),
    ("estoy pensando en suicidarme", "es", "suicide_intent", URGENT),
    ("kms", "en", "suicide_intent", CHECK_IN),
    ("gonna kms tonight", "en", "suicide_intent", URGENT),
    # wish_to_die
    ("I just want to die", "en", "wish_to_die", CHECK_IN),
    ("everyone would be better off without me", "en", "wish_to_die", CHECK_IN),
    ("I want to die tonight", "en", "wish_to_die", URGENT),
    ("ya no quiero vivir", "es", "wish_to_die", CHECK_IN),
    ("todos estarían mejor sin mí", "es", "wish_to_die", CHECK_IN),
    # self_harm
    ("i sliced my wrists", "en", "self_harm", URGENT),
    ("I cut myself again last night", "en", "self_harm", URGENT),
    ("I used to cut myself in high school", "en", "self_harm", CHECK_IN),
    ("me corté otra vez", "es", "self_harm", URGENT),
    ("me volví a cortar anoche", "es", "self_harm", URGENT),
    # means
    ("I took a whole bottle of my meds an hour ago", "en", "means", URGENT),
    ("I've been saving up pills", "en", "means", URGENT),
    ("the gun is loaded", "en", "means", URGENT),
    ("me tomé todas las pastillas", "es", "means", URGENT),
    ("tengo la pistola cargada", "es", "means", URGENT),
    ("💊💊💊", "en", "means", CHECK_IN),
    # place_of_danger
    ("I'm standing on the bridge right now", "en", "place_of_danger", URGENT),
    ("going to jump off the roof", "en", "place_of_danger", URGENT),
    ("me voy a tirar del puente", "es", "place_of_danger", URGENT),
    # finality
    ("I wrote a goodbye letter to my kids", "en", "finality", URGENT),
    ("thanks for trying. this is goodbye", "en", "finality", URGENT),
    ("estoy regalando todas mis cosas", "es", "finality", URGENT),
    ("ya escribí mi carta de despedida", "es", "finality", URGENT),
    # someone_else
    ("my friend just texted me that she's going to kill herself", "en", "someone_else", URGENT),
    ("my brother killed himself last year", "en", "someone_else", CHECK_IN),
    ("mi hermana se quiere matar", "es", "someone_else", URGENT),
    # abuse
    ("he hits me when he drinks", "en", "abuse", URGENT),
    ("he said he'll kill me if I leave", "en", "abuse", URGENT),
    ("my stepdad comes into my room at night and touches me", "en", "abuse", URGENT),
    ("mi padrastro me toca en la noche", "es", "abuse", URGENT),
    ("mi pareja me pega", "es", "abuse", URGENT),
    # medical
    ("I can't breathe", "en", "medical", URGENT),
    ("i think i OD'd", "en", "medical", URGENT),
    ("no puedo respirar", "es", "medical", URGENT),
    # harm_to_others
    ("I'm going to kill him when he gets home", "en", "harm_to_others", URGENT),
    ("voy a matar a mi jefe", "es", "harm_to_others", URGENT),
    # mention
    ("is it normal to think about suicide?", "en", "suicide_intent", CHECK_IN),
    ("mi tío murió por suicidio", "es", "mention", CHECK_IN),
]


@pytest.mark.parametrize(("text", "language", "concept", "tier"), CASES)
def test_concepts_and_tiers(text: str, language: str, concept: str, tier: str) -> None:
    verdict = screen(text, language=language)
    assert verdict.tier == tier and concept in verdict.concepts, verdict.as_dict()


def test_every_concept_has_rules_in_both_languages_with_the_same_names() -> None:
    for language in ("en", "es"):
        named = {spec.concept for spec in builtin(language).rules}
        assert named == set(CONCEPTS), (language, set(CONCEPTS) - named)
        assert all(spec.tier in (URGENT, CHECK_IN) for spec in builtin(language).rules)
    assert set(builtin("en").sets) & set(builtin("es").sets) >= {"meds", "weapon", "place", "soon", "joking"}


def test_the_data_files_hold_each_word_once_and_apply_shared_contexts_to_every_rule() -> None:
    for language in ("en", "es"):
        data = builtin(language)
        for name, terms in data.set_texts.items():
            assert len(terms) == len(set(terms)), (language, name, [t for t in terms if terms.count(t) > 1])
        always = data.raw.get("unless_always", [])
        assert all(name in data.sets for name in always), (language, always)
        assert all(set(always) <= set(spec.unless) for spec in data.rules), language
    assert builtin("es").raw["unless_always"] == ["mate_drink"]


CALM = [
    ("The suicide prevention walk was beautiful this year", "en"),
    ("this homework is killing me", "en"),
    ("I'm dying to see the new film", "en"),
    ("my mom is going to kill me when she sees my grades", "en"),
    ("I took my meds this morning", "en"),
    ("I cut myself shaving", "en"),
    ("he beat me at chess again", "en"),
    ("hit me up later", "en"),
    ("we walked across the bridge to the farmers market", "en"),
    ("bought some rope for camping", "en"),
    ("I killed it at work today", "en"),
    ("I have good coping skills", "en"),
    ("esta tarea me está matando", "es"),
    ("me muero de risa", "es"),
    ("mi mamá me va a matar cuando vea mis notas", "es"),
    ("me tomé la pastilla de la presión", "es"),
    ("me corté el pelo", "es"),
    ("ese meme me mató", "es"),
]


@pytest.mark.parametrize(("text", "language"), CALM)
def test_calm_messages_are_not_urgent(text: str, language: str) -> None:
    assert not screen(text, language=language).urgent, screen(text, language=language).as_dict()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I'm not suicidal", "en"),
        ("I am not going to kill myself", "en"),
        ("I would never hurt myself", "en"),
        ("I don't want to die", "en"),
        ("I don't have any plans to hurt myself", "en"),
        ("no me quiero matar", "es"),
        ("nunca pensé en suicidarme", "es"),
        ("no tengo pensamientos de hacerme daño", "es"),
    ],
)
def test_a_negation_in_the_same_clause_cancels(text: str, language: str) -> None:
    assert not screen(text, language=language).flag, screen(text, language=language).as_dict()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("not now, but I want to kill myself", "en"),
        ("No. I'm going to kill myself.", "en"),
        ("I'm not okay and I want to kill myself", "en"),
        ("I can't stop thinking about killing myself", "en"),  # "can't stop" is not a negation
        ("I'm trying so hard not to kill myself tonight", "en"),  # a struggle, not a negation
        ("no sé, pero me quiero matar", "es"),
        ("no estoy bien y quiero matarme", "es"),
        ("no puedo dejar de pensar en matarme", "es"),
    ],
)
def test_a_negation_in_another_clause_does_not(text: str, language: str) -> None:
    assert screen(text, language=language).flag, text


def test_negation_phrases_that_hold_their_own_negation_always_count() -> None:
    for text in ["No, I don't want to live", "no, ya no quiero vivir", "nunca, no puedo más"]:
        assert screen(text, language="auto").flag, text


def test_crisis_said_through_a_negation_is_caught() -> None:
    """Many crisis statements hold a negation of their own; they are not denials."""
    for text, language in [
        ("I can't keep myself safe tonight", "en"),
        ("nobody would miss me", "en"),
        ("I won't be here tomorrow", "en"),
        ("I'm not scared of dying anymore", "en"),
        ("I don't care anymore, I'm gonna end myself tomorrow", "en"),
        ("no me puedo mantener a salvo esta noche", "es"),
        ("nadie me va a extrañar", "es"),
        ("no voy a estar mañana", "es"),
        ("no me importa nada, me voy a matar", "es"),
    ]:
        assert screen(text, language=language).flag, text
    # A real denial still cancels.
    assert not screen("I'm not going to kill myself, I just need to vent", language="en").urgent


def test_a_chat_ellipsis_is_a_pause_not_the_end_of_a_sentence() -> None:
    assert screen("i wanna die lmao jk... unless?", language="en").flag
    assert screen("me quiero morir jaja ... o no sé", language="es").flag
    assert not screen("me quiero morir de risa jaja ... no sé", language="es").flag


def test_everyday_look_alikes() -> None:
    """Words that look like a crisis word in another sense of it."""
    assert not screen("Se murió mi abuelo y me quedé con su mate, lo uso todas las mañanas", language="es").flag
    assert not screen("Killed a whole pizza by myself, no regrets", language="en").flag
    assert not screen("i overdosed on netflix this weekend, 3 seasons in two days", language="en").urgent
    assert not screen("hubo cortes de luz toda la semana", language="es").flag
    assert not screen("I broke my duolingo streak", language="en").flag
    # ... and the crisis sense of the same words still reads.
    assert screen("me voy a matar hoy", language="es").urgent
    assert screen("I'm going to kill myself tonight", language="en").urgent


def test_context_lowers_urgent_to_check_in_but_never_a_first_person_statement_of_intent_or_means() -> None:
    assert screen("I tried to kill myself years ago", language="en").tier == CHECK_IN
    assert screen("I'm writing my thesis on self harm in adolescents", language="en").tier in ("", CHECK_IN)
    # Firm: first-person present intent or means, whatever else the sentence says.
    assert screen("after the prevention walk I'm going to kill myself", language="en").tier == URGENT
    assert screen("training was fine, I took all my pills", language="en").tier == URGENT


def test_a_joke_cancels_a_figure_of_speech_unless_they_say_they_mean_it() -> None:
    assert not screen("I want to die lol this exam", language="en").flag
    assert screen("I want to die lol for real", language="en").flag
    assert screen("me quiero morir xd pero en serio", language="es").flag
    # "not joking" is no joke
    assert screen("I'm not joking, I want to die", language="en").flag
    # Saying they mean it in the next sentence counts too.
    assert screen("ngl i kinda want to die lol. like for real tho", language="en").flag


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("im sucidal", "en", "suicide_intent"),  # one letter missing
        ("i want to kil myslef", "en", "suicide_intent"),  # squeezed and swapped letters
        ("i want to d1e", "en", "wish_to_die"),  # digits as letters
        ("going to k!ll myself", "en", "suicide_intent"),  # symbols as letters
        ("thinking about $uicide", "en", "suicide_intent"),
        ("i'm going to k*ll myself", "en", "suicide_intent"),  # a censored letter
        ("I wanna dieeee", "en", "wish_to_die"),  # repeated letters
        ("im gonna kms rn", "en", "suicide_intent"),  # chat spellings
        ("thinking about sewerslide", "en", "suicide_intent"),  # slang
        ("going to unalive myself", "en", "suicide_intent"),
        ("took all these 💊", "en", "means"),  # risk emoji
        ("ya no kiero vivir", "es", "wish_to_die"),  # Spanish chat spelling
        ("me tome todas mis pastiyas", "es", "means"),  # spelled as it sounds
        ("me voy a suicidar", "es", "suicide_intent"),
        ("quiero suicidárme", "es", "suicide_intent"),  # accents either way
        ("me quiero matar, ¿sabés?", "es", "suicide_intent"),  # voseo
        ("vos no entendés, me voy a tirar del puente", "es", "place_of_danger"),
        ("idk, i just want to morirme ya", "en", "wish_to_die"),  # mixed languages
    ],
)
def test_words_as_people_type_them(text: str, language: str, concept: str) -> None:
    verdict = screen(text, language=language)
    assert concept in verdict.concepts, verdict.as_dict()


def test_word_boundaries_and_real_words_are_not_misspellings() -> None:
    assert not screen("skills, skillful, unkillable", language="en").flag
    assert not screen("I want to diet", language="en").flag
    assert not screen("the battle was hard", language="en").flag  # "battle" is a word, not "bottle"
    assert not screen("la muerte de mi abuela fue en paz", language="es").urgent  # "muerte" is not "muer" + "te"


def test_mixed_and_unknown_languages() -> None:
    assert "suicide_intent" in screen("I'm tired, quiero matarme", language="en").concepts
    assert screen("honestly I want to kill myself", language="es").flag
    for language in ("", "auto", "fr", None):
        assert screen("quiero matarme", language=language).flag
        assert screen("I want to kill myself", language=language).flag


def test_the_verdict_keeps_policy_and_shows_words_only_when_asked() -> None:
    verdict = screen("I took a whole bottle of my meds", language="en")
    shown = verdict.as_dict()
    assert (shown["flag"], shown["tier"], shown["concepts"]) == (True, URGENT, ["means"])
    assert (
        shown["matched"][0] == "@took ... @quantity ... @meds" and shown["words"][0] == "took a whole bottle of my meds"
    )
    assert len(shown["words"]) == len(verdict.hits) and set(shown) == {"flag", "tier", "concepts", "matched", "words"}
    assert "words" not in verdict.as_dict(words=False)
    assert screen("") == Verdict() and screen("   ...  ") == Verdict()
    assert not Verdict().flag and Verdict(tier=CHECK_IN).flag and not Verdict(tier=CHECK_IN).urgent


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("", "empty"),
        ("kill.*", "characters"),
        ("su*cide", "star"),
        ("ab*", "short_prefix"),
        ("(die|death)", "characters"),
        ("@nosuchset ... die", "unknown_set"),
        ("... die", "gap_edge"),
        ("die ...", "gap_edge"),
        ("a b c d e f g h i j k", "too_long"),
    ],
)
def test_rule_syntax_errors(rule: str, code: str) -> None:
    with pytest.raises(RuleSyntaxError) as error:
        parse_rule(rule, set_names=set(builtin("en").sets))
    assert error.value.code == code


def test_rule_syntax() -> None:
    parts = parse_rule("=me va a ... @meds ~ end it", set_names={"meds"})
    assert [(p.set_name, [(w.kind, w.text) for w in p.term], p.gap) for p in parts] == [
        ("", [("exact", "me"), ("exact", "va"), ("exact", "a")], 0),
        ("meds", [], 4),
        ("", [("stem", "end"), ("stem", "it")], 12),
    ]
    assert [(w.kind, w.text) for w in parse_term("self-harm*")] == [("stem", "self"), ("prefix", "harm")]
    with pytest.raises(RuleSyntaxError):
        parse_term("@meds")


CORPUS = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "screening_corpus.jsonl"


def test_the_labelled_corpus_meets_the_targets() -> None:
    """A floor under the benchmark's figures (benchmarks/screening.py prints them in full)."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for language in ("en", "es"):
        crisis = [r for r in rows if r["label"] == "crisis" and r["language"] == language]
        calm = [r for r in rows if r["label"] == "calm" and r["language"] == language]
        assert len(crisis) >= 150 and len(calm) >= 150
        caught = sum(screen(r["text"], language=language).flag for r in crisis)
        verdicts = [screen(r["text"], language=language) for r in calm]
        assert caught / len(crisis) >= 0.98, (language, caught, len(crisis))
        assert sum(v.urgent for v in verdicts) / len(calm) <= 0.05
        assert sum(v.flag and not v.urgent for v in verdicts) / len(calm) <= 0.15


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=500), st.sampled_from(["en", "es", "auto"]))
def test_any_text_gets_a_verdict(text: str, language: str) -> None:
    verdict = screen(text, language=language)
    assert verdict.flag is bool(verdict.tier) is bool(verdict.concepts) is bool(verdict.matched)
    assert set(verdict.concepts) <= set(CONCEPTS)
    assert len(set(verdict.matched)) == len(verdict.matched)
