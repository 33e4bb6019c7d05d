"""How often a confident diagnosis (confidence >= 0.5) is right, on logs whose cause is known.

    python benchmarks/calibrate.py [--corpus ../shared/corpus]

Reads the corpus cases (truth.yaml root cause, with the user's symptom), our samples (their
expected category) and every positive KB fixture (the entry's category), diagnoses each, and
prints, per confidence band, how many diagnoses fell in it and how many named the known category.
A healthy log's confident diagnoses all count as wrong. The README's confidence table comes from
this script.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import yaml

from logdoctor import api, knowledge
from logdoctor.match.rank import SignatureIndex

BANDS = ((0.9, 1.01), (0.75, 0.9), (0.5, 0.75), (0.25, 0.5), (0.0, 0.25))


def cases(corpus: Path, kb: knowledge.KnowledgeBase) -> Iterator[tuple[str, Path, str | None, str]]:
    """(source, log, symptom, known category) for every log whose cause is known."""
    for case in sorted(corpus.glob("*/truth.yaml")):
        truth = yaml.safe_load(case.read_text(encoding="utf-8"))
        cause = truth.get("root_cause") or {}
        if cause.get("category") and cause.get("evidence") in ("confirmed", "likely"):
            yield "corpus", case.parent / "log.txt", truth.get("symptom"), cause["category"]
    samples = Path(__file__).resolve().parent.parent / "samples"
    for golden in sorted(samples.glob("*.facts.yaml")):
        expected = yaml.safe_load(golden.read_text(encoding="utf-8"))
        yield "samples", golden.with_name(golden.name.replace(".facts.yaml", ".log")), expected.get("symptom"), \
            expected["expect_category"]
    for entry in kb.entries:
        for fixture in entry.positive:
            yield "kb fixtures", fixture.path, fixture.symptom, entry.category


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_corpus = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    args = parser.parse_args()
    kb = knowledge.load()
    index = SignatureIndex(kb.entries)
    tally = {band: [0, 0] for band in BANDS}
    per_source: dict[str, list[int]] = {}
    for source, log, symptom, category in cases(args.corpus, kb):
        report = api.diagnose(Path(log), kb=api.KnowledgeBase.of(kb, index), symptom=symptom)
        for diagnosis in report.diagnoses:
            band = next(b for b in BANDS if b[0] <= diagnosis.confidence < b[1])
            right = diagnosis.entry.category == category
            tally[band][0] += 1
            tally[band][1] += right
            if diagnosis.confidence >= 0.5:
                counts = per_source.setdefault(source, [0, 0])
                counts[0] += 1
                counts[1] += right
    print("confidence band   diagnoses   right   share right")
    for (low, high), (count, right) in tally.items():
        share = f"{right / count:.2f}" if count else "-"
        print(f"[{low:.2f}, {min(high, 1.0):.2f})      {count:9d}   {right:5d}   {share:>11}")
    for source, (count, right) in per_source.items():
        print(f"confident diagnoses on {source}: {right}/{count} right")


if __name__ == "__main__":
    main()
