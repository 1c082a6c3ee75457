"""Crisis screening: recall, calm-message flag rates and speed (not a test: it prints figures).

    .venv/bin/python benchmarks/screening.py [--corpus FILE ...] [--messages 10000] [--seed 7]

**Recall and flag rates.** Each corpus is a JSON Lines file of labelled messages,
``{"text", "language": "en"|"es", "label": "crisis"|"calm", "concept", "tier"}`` (the default is
``benchmarks/data/screening_corpus.jsonl``, written by hand for this purpose; pass your own with
``--corpus`` to measure screening on a set it was not tuned on). Every message is screened with the
built-in rules in its language. A crisis message counts as caught when it gets either tier
(urgent or check in); the script prints recall per language, per concept and language, and per
kind, the share of crisis messages whose expected tier was urgent that got urgent, and for calm
messages the share that got urgent and the share that got check in. The messages missed and the
calm messages flagged urgent are listed (``--show N`` of each).

**Speed.** ``--messages`` chat messages of realistic length (one to four sentences, English,
Spanish and mixed, about one in ten with something a rule catches) are screened one at a time on
this one process, twice: with the built-in rules, and through an organisation whose rules are
already compiled (the version-stamp lookup in Django's cache that every organisation screen makes;
no SQL). Both paths must give the same verdict for every message, or the script fails.

The last line printed is one JSON object with ``recall``, ``recall_by_language``,
``calm_urgent_rate``, ``calm_checkin_rate``, ``msgs_per_second`` (the organisation path) and the
details. The exit status is 1 when a target is missed (recall ≥ 0.98 in each language, calm urgent
≤ 5 %, calm check in ≤ 15 %, ≥ 10,000 messages a second) or a result is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO / "benchmarks" / "data" / "screening_corpus.jsonl"

TARGET_RECALL = 0.98
TARGET_CALM_URGENT = 0.05
TARGET_CALM_CHECKIN = 0.15
TARGET_SPEED = 10_000

EN = [
    "Hi, is anyone there tonight?",
    "I've had a really long day at work and my manager keeps piling more on me.",
    "My sister and I had another argument about our mum's care and I don't know who to talk to.",
    "I can't sleep again, it's the third night this week.",
    "Honestly I just need someone to listen for a bit.",
    "Group on Thursday helped a lot, thank you for suggesting it.",
    "I've been trying the breathing thing you talked about but it's hard when the kids are loud.",
    "I'm not sure why I'm messaging, I guess I feel lonely.",
    "My landlord says we have to be out by the end of the month.",
    "The new medication makes me tired but my doctor says it takes a few weeks.",
    "I relapsed last weekend and I feel so ashamed about it.",
    "It's been a year since my dad died and everyone expects me to be over it.",
]
ES = [
    "Hola, ¿hay alguien ahí?",
    "Hoy fue un día muy largo en el trabajo y estoy agotada.",
    "Mi hermano y yo discutimos otra vez por el cuidado de nuestra madre.",
    "No puedo dormir bien desde hace semanas.",
    "Solo necesito hablar con alguien un rato.",
    "El grupo del jueves me ayudó mucho, gracias.",
    "Me siento sola desde que me mudé a esta ciudad.",
    "Mi casero dice que tenemos que irnos a fin de mes.",
]
CRISIS_EN = [
    "I don't want to live anymore.",
    "Sometimes I think everyone would be better off without me.",
    "I'm not suicidal, I promise, just tired.",
    "I've been thinking about killing myself.",
    "This is goodbye, thank you for trying.",
    "He is hitting me right now and I'm scared.",
    "I would never hurt myself, but I feel numb.",
    "I took a whole bottle of my pills an hour ago.",
]
CRISIS_ES = [
    "Ya no quiero vivir.",
    "A veces pienso en quitarme la vida.",
    "No quiero matarme, solo estoy cansada.",
    "Mi pareja me está pegando.",
    "Me tomé todas las pastillas.",
]


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") not in ("crisis", "calm") or row.get("language") not in ("en", "es"):
                raise SystemExit(f"{path}:{number}: label must be crisis or calm and language en or es")
            rows.append(row)
    return rows


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def evaluate(rows: list[dict[str, Any]], screen: Any, show: int) -> dict[str, Any]:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    by_concept: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    urgent_expected = urgent_given = 0
    calm = Counter()
    missed: list[str] = []
    calm_urgent: list[str] = []
    for row in rows:
        verdict = screen(row["text"], language=row["language"])
        language = row["language"]
        if row["label"] == "crisis":
            total[language] += 1
            hit = verdict.flag
            caught[language] += hit
            key = f"{row.get('concept') or '-'}/{language}"
            by_concept[key][0] += hit
            by_concept[key][1] += 1
            by_kind[row.get("kind") or "-"][0] += hit
            by_kind[row.get("kind") or "-"][1] += 1
            if row.get("tier") == "urgent":
                urgent_expected += 1
                urgent_given += verdict.urgent
            if not hit:
                missed.append(f"[{key}] {row['text']}")
        else:
            calm[f"{language}:all"] += 1
            calm["all"] += 1
            if verdict.urgent:
                calm["urgent"] += 1
                calm[f"{language}:urgent"] += 1
                calm_urgent.append(f"[{language}] {row['text']} -> {', '.join(verdict.concepts)}")
            elif verdict.flag:
                calm["check_in"] += 1
                calm[f"{language}:check_in"] += 1
    crisis_total = sum(total.values())
    out = {
        "crisis": crisis_total,
        "calm": calm["all"],
        "recall": rate(sum(caught.values()), crisis_total),
        "recall_by_language": {language: rate(caught[language], total[language]) for language in sorted(total)},
        "recall_by_concept": {key: rate(*by_concept[key]) for key in sorted(by_concept)},
        "recall_by_kind": {key: rate(*by_kind[key]) for key in sorted(by_kind)},
        "urgent_when_expected": rate(urgent_given, urgent_expected),
        "calm_urgent_rate": rate(calm["urgent"], calm["all"]),
        "calm_checkin_rate": rate(calm["check_in"], calm["all"]),
        "calm_by_language": {
            language: {
                "urgent": rate(calm[f"{language}:urgent"], calm[f"{language}:all"]),
                "check_in": rate(calm[f"{language}:check_in"], calm[f"{language}:all"]),
            }
            for language in ("en", "es")
            if calm[f"{language}:all"]
        },
    }
    print(
        f"  {crisis_total} crisis, {calm['all']} calm messages; recall {out['recall']:.3f} "
        f"(en {out['recall_by_language'].get('en', 0):.3f}, es {out['recall_by_language'].get('es', 0):.3f}); "
        f"urgent where urgent was expected {out['urgent_when_expected']:.3f}"
    )
    print(f"  calm: urgent {out['calm_urgent_rate']:.3f}, check in {out['calm_checkin_rate']:.3f}")
    print("  recall by concept:")
    for key in sorted(by_concept):
        hit, n = by_concept[key]
        print(f"    {key:<26} {hit:>4}/{n:<4} {hit / n:.3f}")
    print("  recall by kind:")
    for key in sorted(by_kind):
        hit, n = by_kind[key]
        print(f"    {key:<26} {hit:>4}/{n:<4} {hit / n:.3f}")
    for title, lines in (("missed", missed), ("calm flagged urgent", calm_urgent)):
        if lines and show:
            print(f"  {title} ({len(lines)}; first {min(show, len(lines))}):")
            for line in lines[:show]:
                print(f"    {line}")
    return out


def messages(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        spanish = rng.random() < 0.3
        pool, crisis, language = (ES, CRISIS_ES, "es") if spanish else (EN, CRISIS_EN, "en")
        sentences = rng.sample(pool, rng.randint(1, 4))
        if rng.random() < 0.1:
            sentences.insert(rng.randint(0, len(sentences)), rng.choice(crisis))
        if rng.random() < 0.03:  # people mix languages
            sentences.append(rng.choice(ES if not spanish else EN))
        out.append((" ".join(sentences)[:400], language))
    return out


def measure(texts: list[tuple[str, str]], fn: Any) -> tuple[dict[str, Any], list[Any]]:
    timings = []
    verdicts = []
    start = time.perf_counter()
    for text, language in texts:
        t0 = time.perf_counter_ns()
        verdicts.append(fn(text, language))
        timings.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - start
    timings.sort()
    figures = {
        "messages": len(texts),
        "messages_per_second": round(len(texts) / elapsed),
        "p50_us": round(statistics.median(timings) / 1000, 1),
        "p99_us": round(timings[int(len(timings) * 0.99) - 1] / 1000, 1),
        "urgent": sum(v.urgent for v in verdicts),
        "check_in": sum(v.flag and not v.urgent for v in verdicts),
    }
    return figures, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", type=Path, help="labelled JSON Lines file (repeatable)")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=15, help="list up to N misses and calm urgent flags")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    import django

    django.setup()
    from alongside.warmline import screening

    # One-off per process, not per message: compiling the rules and loading the word lists that
    # tell a misspelling from a real word. Timed and printed on their own.
    t0 = time.perf_counter()
    screening.screen("warm up zqxwvtplk")
    warm_ms = round((time.perf_counter() - t0) * 1000)

    failures: list[str] = []
    corpora = args.corpus or [DEFAULT_CORPUS]
    results: dict[str, Any] = {"corpora": {}}
    for path in corpora:
        print(f"== {path.name}")
        results["corpora"][path.name] = evaluate(load(path), screening.screen, args.show)
    first = results["corpora"][corpora[0].name]

    texts = messages(args.messages, args.seed)
    lengths = [len(text) for text, _language in texts]
    median = statistics.median(lengths)
    print(f"== speed: {len(texts)} messages, {min(lengths)}–{max(lengths)} characters (median {median:.0f})")
    print(f"  one-off per process: rules compiled and word lists loaded in {warm_ms} ms")
    defaults, expected = measure(texts, lambda text, language: screening.screen(text, language=language))

    class Organisation:  # stands in for a saved organisation whose rules are already compiled
        pk = "benchmark-organisation"

    org = Organisation()
    screening._compile_organisation = lambda organisation: screening._defaults()  # type: ignore[assignment]
    screening.screen("warm up", organisation=org)
    organisation, got = measure(
        texts, lambda text, language: screening.screen(text, organisation=org, language=language)
    )
    differ = sum(a.as_dict() != b.as_dict() for a, b in zip(expected, got, strict=True))
    if differ:
        failures.append(f"{differ} messages got a different verdict through the organisation path")
    for path, figures in (("defaults", defaults), ("organisation", organisation)):
        print(
            f"  {path:>12}: {figures['messages_per_second']:>8} messages/s, p50 {figures['p50_us']} µs, "
            f"p99 {figures['p99_us']} µs, {figures['urgent']} urgent, {figures['check_in']} check in"
        )
    results["speed"] = {"defaults": defaults, "organisation": organisation, "one_off_ms": warm_ms}

    for language, value in first["recall_by_language"].items():
        if value < TARGET_RECALL:
            failures.append(f"recall {value} in {language} is under {TARGET_RECALL}")
    if first["calm_urgent_rate"] > TARGET_CALM_URGENT:
        failures.append(f"calm urgent rate {first['calm_urgent_rate']} is over {TARGET_CALM_URGENT}")
    if first["calm_checkin_rate"] > TARGET_CALM_CHECKIN:
        failures.append(f"calm check-in rate {first['calm_checkin_rate']} is over {TARGET_CALM_CHECKIN}")
    if organisation["messages_per_second"] < TARGET_SPEED:
        failures.append(f"{organisation['messages_per_second']} messages/s is under {TARGET_SPEED}")
    for failure in failures:
        print(f"TARGET MISSED: {failure}")
    summary = {
        "recall": first["recall"],
        "recall_by_language": first["recall_by_language"],
        "calm_urgent_rate": first["calm_urgent_rate"],
        "calm_checkin_rate": first["calm_checkin_rate"],
        "msgs_per_second": organisation["messages_per_second"],
        "targets_met": not failures,
        **results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
