"""The one public way in: load the knowledge base once, diagnose a source, get a Report.

Every entry point goes through here — the command line, `--follow`, `fleet`, `issue` and any
Python program — so that reading, parsing, matching and deciding the verdict are wired once:

    >>> import logdoctor
    >>> from logdoctor.datafiles import data_dir
    >>> seed = (data_dir("samples") / "seed-xinference-t4-gptq-tp4.log").read_text()
    >>> kb = logdoctor.KnowledgeBase()                      # compiled once, reused by every call
    >>> report = logdoctor.diagnose(seed, symptom="only outputs !!!!", kb=kb)
    >>> print(report.verdict)
    problem
    >>> report.diagnoses[0].entry.id
    'fp16-overflow-qwen-pre-ampere'
    >>> report.facts["tensor_parallel_size"], report.facts["pre_ampere"]
    (4, True)
    >>> report.to_dict()["summary"]["verdict"]
    'problem'

A source is the log's text (`str`), its bytes, a path (`os.PathLike`, never a plain string: a
string is text), a binary or text file object, or a list of these read in order as pieces of one
log (at most one of them a stream).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat, takewhile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, TypeVar, Union

from logdoctor import knowledge
from logdoctor.knowledge import compiled
from logdoctor.match.rank import CONFIDENT, Diagnosis, SignatureIndex, SignatureMatcher, rank
from logdoctor.match.verdict import Verdict, decide
from logdoctor.parse import Event
from logdoctor.parse.facts import FactSheet
from logdoctor.pipeline import Analysis, Pass, analyze
from logdoctor.read.source import InputError, Line, LogReader, ReadStats
from logdoctor.report import remedies

__all__ = ["Diagnoser", "KnowledgeBase", "Report", "Source", "Verdict", "analysis_of", "default_knowledge_base",
           "diagnose", "diagnose_each", "diagnose_many", "facts", "follow"]

if TYPE_CHECKING:
    from logdoctor.follow import Update

T = TypeVar("T")
R = TypeVar("R")
Source = Union[str, bytes, "os.PathLike[str]", IO[bytes], IO[str]]
DEFAULT_TOP = 5  # causes a report shows unless asked for more


class KnowledgeBase:
    """The known issues in force (built-in, plus team folders layered on top), compiled once.

    Loading compiles the YAML entries and their signature index (or reads them from the cache):
    build one and pass it to every `diagnose` call of a batch.
    """

    def __init__(self, *folders: str | os.PathLike[str], builtin: bool = True) -> None:
        self.folders: tuple[Path, ...] | None = tuple(Path(f) for f in folders)
        self.builtin = builtin
        self.base, self.index = compiled.load(list(self.folders), include_builtin=builtin)

    def __reduce__(self) -> tuple:
        """Sent to another process (a pool's worker) as where it was loaded from: the worker loads it
        from the cache in milliseconds instead of unpickling every entry sent over a pipe."""
        if self.folders is None:
            return super().__reduce__()
        return _load_knowledge_base, (self.folders, self.builtin)

    @classmethod
    def of(cls, base: knowledge.KnowledgeBase, index: SignatureIndex | None = None) -> KnowledgeBase:
        """Wrap an already loaded knowledge base (kb check runs fixtures against the one it checks)."""
        made = cls.__new__(cls)
        made.folders, made.builtin = None, True
        made.base, made.index = base, index if index is not None else SignatureIndex(base.entries)
        return made

    @property
    def entries(self) -> Sequence[knowledge.Entry]:
        return self.base.entries

    @property
    def warnings(self) -> list[str]:
        """Entries that could not be loaded, and why (the rest still work)."""
        return list(self.base.warnings)


def _load_knowledge_base(folders: tuple[Path, ...], builtin: bool) -> KnowledgeBase:
    return KnowledgeBase(*folders, builtin=builtin)


_default: KnowledgeBase | None = None


def default_knowledge_base() -> KnowledgeBase:
    """The built-in knowledge base, loaded on first use and kept for the life of the process."""
    global _default
    if _default is None:
        _default = KnowledgeBase()
    return _default


@dataclass
class Report:
    """A diagnosis: the facts of the log, the ranked causes, and the verdict."""

    analysis: Analysis
    diagnoses: Sequence[Diagnosis]  # best first
    symptom: str | None
    values: dict[str, object]  # numbers remedies may quote, computed from the facts
    warnings: list[str] = field(default_factory=list)

    @property
    def confident(self) -> list[Diagnosis]:
        """The diagnoses at or above the confident line, best first."""
        return list(takewhile(lambda d: d.confidence >= CONFIDENT, self.diagnoses))

    @property
    def verdict(self) -> Verdict:
        """The one-word answer (`str(report.verdict)`: problem, failed-unknown, incomplete, risk, healthy,
        not-a-serving-log), with its reason, next step and exit status."""
        return decide(self.diagnoses, self.analysis.sheet.facts, self.analysis.outcome, self.symptom)

    @property
    def facts(self) -> dict[str, object]:
        """The fact sheet's values by name (logdoctor/parse/factnames.py says what each means)."""
        return dict(self.analysis.sheet.facts)

    def remedy_text(self, text: str) -> str:
        """A remedy with the numbers of this log filled in (`{max_model_len_fit|…}`)."""
        return remedies.render(text, self.analysis.sheet.facts, self.values)

    def to_dict(self, top: int = DEFAULT_TOP) -> dict:
        """The JSON report (logdoctor/schemas/report.schema.json) as a dict."""
        from logdoctor.report import jsonout

        return jsonout.report_document(self, top)

    def to_markdown(self, top: int = DEFAULT_TOP) -> str:
        """The Markdown report, ready to paste into an issue (secrets removed)."""
        from logdoctor.report import markdown, redact

        return redact.redact(markdown.render(self, top))

    def _repr_markdown_(self) -> str:  # Jupyter shows a report as its Markdown
        return self.to_markdown()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (a process pool returns reports): the lazy ranking becomes a plain list."""
        return {**self.__dict__, "diagnoses": list(self.diagnoses)}


class Diagnoser:
    """A diagnosis fed one clean line at a time, that can give its Report at any point.

    `diagnose()` feeds it a whole log; `--follow` feeds it lines as a server writes them and asks
    for a report when a stage is reached, a failure shows or the input ends. Without a knowledge
    base in use (`ranked=False`, for `facts --follow`) it gives only the Analysis.
    """

    def __init__(self, *, symptom: str | None = None, kb: KnowledgeBase | None = None, ranked: bool = True) -> None:
        self.symptom = symptom
        self.kb = (kb or default_knowledge_base()) if ranked else None
        self.matcher = SignatureMatcher(self.kb.index) if self.kb is not None else None
        matcher = self.matcher
        self._pass = Pass(matcher.anchors if matcher else (), matcher.observe if matcher else None,
                          matcher.digit_verdicts if matcher else None)

    @property
    def literals(self) -> list[str]:
        """What a line must hold to matter (the reader may skip the others)."""
        return self._pass.literals

    @property
    def matched_lines(self) -> int:
        """How many (line, signature) matches the knowledge base has seen: it grows when a known line shows."""
        return len(self.matcher.hits) if self.matcher else 0

    def feed(self, line: Line) -> list[Event]:
        return self._pass.feed(line)

    def analysis(self, stats: ReadStats, ended: bool = True) -> Analysis:
        """The facts of the lines fed so far; `ended=False` while the log goes on (it does not "end in" an error
        it just printed)."""
        return self._pass.analysis(stats, ended)

    def report(self, stats: ReadStats, ended: bool = True) -> Report:
        """The report of the lines fed so far (`ended` as for `analysis`)."""
        if self.kb is None or self.matcher is None:
            raise ValueError("this Diagnoser only lays out facts (ranked=False)")
        analysis = self._pass.analysis(stats, ended)
        sheet = analysis.sheet.facts
        diagnoses = rank(self.matcher, sheet, self.symptom, ready_line=analysis.outcome.ready_line)
        return Report(analysis, diagnoses, self.symptom, remedies.computed_values(sheet), self.kb.warnings)


def diagnose(source: Source | Sequence[Source] | None = None, *, symptom: str | None = None,
             kb: KnowledgeBase | None = None, on_progress: Callable[[int], None] | None = None) -> Report:
    """Read the log once, rank the knowledge base against what it showed, decide the verdict.

    `source`: see the module docstring (None: standard input). `symptom`: what the user sees, in
    their words. Raises `logdoctor.read.source.InputError` when an input cannot be opened.
    `on_progress` hears the number of bytes read now and then.
    """
    diagnoser = Diagnoser(symptom=symptom, kb=kb)
    inputs, stdin = _inputs(source)
    reader = LogReader(inputs, stdin=stdin, literals=diagnoser.literals, on_progress=on_progress, fold_copies=True)
    for line in reader:
        diagnoser.feed(line)
    return diagnoser.report(reader.stats)


def diagnose_each(sources: Sequence[Source], *, symptom: str | None = None, kb: KnowledgeBase | None = None,
                  ranked: bool = True, jobs: int = 1, then: Callable[[Any], Any] | None = None) -> Iterator[Any]:
    """Several logs, each on its own (two servers' logs are not one fact sheet): a Report per source
    (an Analysis when not `ranked`), or the InputError that kept it from being read, in order; with
    `jobs` > 1 in that many processes (see map_logs). `then`: what to make of each Report or Analysis
    where it is made, e.g. the text to print (with jobs, a picklable callable: the report need not
    travel back). Stops after the log during which a stop signal (Ctrl-C) came."""
    kb = (kb or default_knowledge_base()) if ranked else None
    yield from map_logs(partial(_result_of, symptom=symptom, ranked=ranked, then=then), sources, kb=kb, jobs=jobs)


def _result_of(source: Source | Sequence[Source], kb: KnowledgeBase | None, symptom: str | None, ranked: bool,
               then: Callable[[Any], Any] | None) -> Any:
    try:
        result = diagnose(source, symptom=symptom, kb=kb) if ranked else analysis_of(source)
    except InputError as error:
        return error
    return then(result) if then is not None else result


def follow(source: Source | None, *, on_update: Callable[[Update], None], until: str = "end",
           symptom: str | None = None, kb: KnowledgeBase | None = None, ranked: bool = True) -> Report | Analysis:
    """Follow a live log (a growing file, or a pipe that does not end) and tell `on_update` as it goes:
    each start-up stage reached with its key facts, a diagnosis the moment a confident problem
    shows or the server dies, the verdict when it becomes ready (logdoctor/follow.py). Returns the
    final Report (an Analysis when not `ranked`) once the input ends, a stop signal comes, or
    `until` ('ready', 'problem') is reached."""
    from logdoctor.follow import Follower

    return Follower(Diagnoser(symptom=symptom, kb=kb, ranked=ranked), on_update, until).run(source)


def diagnose_many(sources: Iterable[Source | Sequence[Source]], *, symptom: str | None = None,
                  kb: KnowledgeBase | None = None, jobs: int = 1) -> Iterator[Report]:
    """Each source diagnosed on its own, the reports in the order of the sources.

    Everything that does not depend on the log is made once and reused: the knowledge base and
    its index, the grammars, the prefilter's compiled literals, and the parses and signature
    verdicts of messages already met (parse/memo.py). With `jobs` > 1 the logs are shared out
    among that many processes, each loading the knowledge base once (from the cache); sources
    must then be picklable (paths, text, bytes), and an error of one log (`InputError`) is
    raised when its report is reached. The sources are all taken at the start.
    """
    for result in diagnose_each(list(sources), symptom=symptom, kb=kb, jobs=jobs):
        if isinstance(result, InputError):
            raise result
        yield result  # type: ignore[misc]


def map_logs(work: Callable[[T, KnowledgeBase | None], R], items: Sequence[T], *, kb: KnowledgeBase | None,
             jobs: int = 1) -> Iterator[R]:
    """`work(item, kb)` for every item, results in the items' order: here, or with `jobs` > 1 (0: one per
    CPU) in that many worker processes that each hold the knowledge base (loaded once, from the cache),
    items handed out in chunks so that the pool's messaging stays small next to the work. The one
    process pool of `diagnose_each`, `diagnose_many` and `fleet`; `work` must be a module-level function
    (or a partial of one). After a stop signal (Ctrl-C, SIGTERM) no further item is started: the one
    being read when it came ends cut short, and the pool's queued work is cancelled."""
    from logdoctor.read import interrupt

    jobs = min(jobs or os.cpu_count() or 1, len(items)) or 1
    if jobs == 1:
        for item in items:
            yield work(item, kb)
            if interrupt.requested() is not None:
                return
        return
    from concurrent.futures import ProcessPoolExecutor

    if kb is None:  # the grammars and the prefilter loaded here, for forked workers to inherit
        analysis_of(b"")
    else:
        diagnose(b"", kb=kb)
    chunksize = max(1, min(32, len(items) // (jobs * 8)))
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(kb,))
    try:
        for result in pool.map(_in_worker, repeat(work), items, chunksize=chunksize):
            yield result
            if interrupt.requested() is not None:
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker_kb: KnowledgeBase | None = None


def _start_worker(kb: KnowledgeBase | None) -> None:
    global _worker_kb
    _worker_kb = kb


def _in_worker(work: Callable[[T, KnowledgeBase | None], R], item: T) -> R:
    return work(item, _worker_kb)


def facts(source: Source | Sequence[Source] | None = None,
          on_progress: Callable[[int], None] | None = None) -> FactSheet:
    """The fact sheet of a log (values, evidence lines, per-process values), without ranking."""
    inputs, stdin = _inputs(source)
    return analyze(inputs, stdin=stdin, on_progress=on_progress).sheet


def analysis_of(source: Source | Sequence[Source] | None = None,
                on_progress: Callable[[int], None] | None = None) -> Analysis:
    """The fact sheet with what reading did (`stats`) and how the run ended (`outcome`)."""
    inputs, stdin = _inputs(source)
    return analyze(inputs, stdin=stdin, on_progress=on_progress)


def _inputs(source: Source | Sequence[Source] | None) -> tuple[list[str], BinaryIO | None]:
    """The reader's inputs (paths, '-' for the one stream) for a source or a list of sources."""
    if source is None:
        return ["-"], None
    pieces = list(source) if isinstance(source, (list, tuple)) else [source]
    names: list[str] = []
    stream: BinaryIO | None = None
    for piece in pieces:
        if isinstance(piece, os.PathLike):
            names.append(os.fspath(piece))
            continue
        if stream is not None:
            raise TypeError("a list of sources may hold at most one text, bytes or stream")
        stream = _as_binary(piece)
        names.append("-")
    return names, stream


def _as_binary(piece: object) -> BinaryIO:
    if isinstance(piece, str):
        return io.BytesIO(piece.encode("utf-8"))
    if isinstance(piece, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(piece))
    if hasattr(piece, "read"):
        if isinstance(piece, io.TextIOBase) or "b" not in getattr(piece, "mode", "b"):
            return io.BufferedReader(_EncodedText(piece))  # type: ignore[arg-type]
        if not hasattr(piece, "readinto") and not hasattr(piece, "peek"):
            return io.BufferedReader(_ReadOnly(piece))  # type: ignore[arg-type]
        return piece  # type: ignore[return-value]
    raise TypeError(f"cannot read a log from {type(piece).__name__}: give text, bytes, a path or a file object")


class _EncodedText(io.RawIOBase):
    """A text stream seen as UTF-8 bytes, read as it goes (a StringIO, a file opened in text mode)."""

    def __init__(self, text: IO[str]) -> None:
        self._text, self._pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "surrogatepass")
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


class _ReadOnly(io.RawIOBase):
    """A binary object with only `read()` (some HTTP bodies, archive members) as a raw stream."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
