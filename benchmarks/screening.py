"""Crisis screening speed (not a test: it prints figures).

    .venv/bin/python benchmarks/screening.py [--messages 10000] [--seed 7]

Screens N chat messages of realistic length (one to four sentences, about 20–400 characters; English,
Spanish and a few mixed; about one in ten says something a rule catches, some of them negated)
with the built-in rules, each timed on its own. It prints messages per second, the median and the
99th percentile in microseconds per message, and how many were flagged, for two paths:

- ``defaults``: ``screen(text, language=...)`` with no organisation (the built-in rules);
- ``organisation``: the path of an organisation whose rules are already compiled: the same rules
  plus the version-stamp lookup in Django's configured cache (local memory here, Redis in
  production) that every screen of an organisation's message makes. It runs no SQL query.

The last line printed is one JSON object: path -> {messages_per_second, p50_us, p99_us, flagged}.
No database is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

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
]
CRISIS_ES = [
    "Ya no quiero vivir.",
    "A veces pienso en quitarme la vida.",
    "No quiero matarme, solo estoy cansada.",
    "Mi pareja me está pegando.",
]


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


def measure(texts: list[tuple[str, str]], fn: Any) -> dict[str, Any]:
    timings = []
    flagged = 0
    start = time.perf_counter()
    for text, language in texts:
        t0 = time.perf_counter_ns()
        verdict = fn(text, language)
        timings.append(time.perf_counter_ns() - t0)
        flagged += verdict.flag
    elapsed = time.perf_counter() - start
    timings.sort()
    return {
        "messages_per_second": round(len(texts) / elapsed),
        "p50_us": round(statistics.median(timings) / 1000, 1),
        "p99_us": round(timings[int(len(timings) * 0.99) - 1] / 1000, 1),
        "flagged": flagged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    import django

    django.setup()
    from alongside.warmline import screening

    texts = messages(args.messages, args.seed)
    lengths = [len(text) for text, _language in texts]
    print(f"{len(texts)} messages, {min(lengths)}–{max(lengths)} characters (median {statistics.median(lengths):.0f})")

    screening.screen("warm up")
    results = {"defaults": measure(texts, lambda text, language: screening.screen(text, language=language))}

    class Organisation:  # stands in for a saved organisation whose rules are the defaults
        pk = "benchmark-organisation"

    org = Organisation()
    screening._compile_organisation = lambda organisation: screening._defaults()
    screening.screen("warm up", organisation=org)
    results["organisation"] = measure(
        texts, lambda text, language: screening.screen(text, organisation=org, language=language)
    )

    for path, figures in results.items():
        print(
            f"{path:>12}: {figures['messages_per_second']:>8} messages/s, p50 {figures['p50_us']} µs, "
            f"p99 {figures['p99_us']} µs, {figures['flagged']} flagged"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
