"""The command line: a thin layer over pipeline → match → report.

Exit codes (also in the README, "Verdicts and exit status"):
  0         diagnose: healthy, risk, or a log that ends before the server was ready; other commands: success
  1         diagnose: problem, failed-unknown, or a log cut inside a traceback; `kb check` found a problem
  2         usage error, unreadable input (a closed stdin), unwritable output (`> /dev/full`), or not a
            vLLM/Xinference log (one line on stderr; what could be read is still reported)
  3         internal error (one line on stderr; please report it)
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: the report of what was read, marked cut short
  141       the reader of the output closed it first (`logdoctor LOG | head -1`): quiet, like any command
            whose pipe's reader left (128 + SIGPIPE); never a verdict's code, since the report was not
            delivered whole
Several logs are diagnosed each on its own (unless --merge): the exit status is the worst of theirs.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import click

from logdoctor import __version__
from logdoctor.read import interrupt
from logdoctor.read.source import InputError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `cat`, `grep` or `yes` whose reader left
# Errors of a write that failed for want of room or of a working device (`> /dev/full`, a full disk).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EBADF})
_COMPLETE_VARIABLE = "_LOGDOCTOR_COMPLETE"  # README, "Shell completion"


class _DefaultToDiagnose(click.Group):
    """`logdoctor FILE…` means `logdoctor diagnose FILE…`; a word close to a command name that is not
    a file is taken for a typo (`logdoctor diagnos x.log`), not for a log that does not exist."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.resilient_parsing and not args:  # shell completion of the first word: commands and files
            return super().parse_args(ctx, args)
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            if args and not args[0].startswith("-") and not os.path.exists(args[0]):
                import difflib  # only for a word that is neither a command nor a file: off the start-up path

                close = difflib.get_close_matches(args[0], list(self.commands), n=1, cutoff=0.75)
                if close:
                    raise click.UsageError(f"no command {args[0]!r} and no file of that name; did you mean "
                                           f"{close[0]!r}?", ctx)
            args = ["diagnose", *args]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The first word completes to a command or, as for `logdoctor FILE`, to a file name."""
        from click.shell_completion import CompletionItem  # only when completing: off the start-up path

        return [*super().shell_complete(ctx, incomplete), CompletionItem(incomplete, type="file")]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The top-level help lists diagnose's options too: they are what `logdoctor FILE` takes."""
        super().format_options(ctx, formatter)
        command = self.commands["diagnose"]
        with click.Context(command, info_name="diagnose", parent=ctx) as sub:
            records = [record for param in command.get_params(sub)
                       if isinstance(param, click.Option) and "--help" not in param.opts
                       for record in [param.get_help_record(sub)] if record]
        with formatter.section("Options of diagnose, the default command (logdoctor [diagnose] FILE… [OPTIONS])"):
            formatter.write_dl(records)


def _sources(inputs: Sequence[str]) -> list:
    """What the API reads: each path as a Path, `-` (or no input at all) as standard input's bytes."""
    from pathlib import Path

    if (not inputs or "-" in inputs) and sys.stdin is None:  # `logdoctor <&-`: there is no descriptor 0
        raise click.UsageError("no input: standard input is closed; give a log file")
    if not inputs and sys.stdin.isatty():
        raise click.UsageError("no input: give a log file, or pipe one in (docker logs x 2>&1 | logdoctor)")
    if "-" in inputs and sys.stdin.isatty():  # `logdoctor -` on a terminal waits for a paste: say so
        click.echo("paste the log, then Ctrl-D (Ctrl-Z and Enter on Windows)", err=True)
    return [sys.stdin.buffer if name == "-" else Path(name) for name in inputs or ["-"]]


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line on stderr and exit with `code`."""
    click.echo(f"logdoctor: {message}", err=True)
    sys.exit(code)


@click.group(cls=_DefaultToDiagnose, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logdoctor")
def main() -> None:
    """Read a vLLM / Xinference server log, lay out the facts, rank the likely causes.

    \b
      logdoctor server.log
      docker logs my-vllm 2>&1 | logdoctor --symptom "only outputs !!!!"
      logdoctor facts server.log --format json
    """


def _disable_cache(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--no-cache`: for measuring, or to rule the cache out when something looks stale."""
    if value:
        from logdoctor import cache

        cache.disable()


_NO_CACHE_OPTION = click.option(
    "--no-cache", is_flag=True, expose_value=False, callback=_disable_cache,
    help="Compile the knowledge base and grammars afresh; read and write no cache (also: LOGDOCTOR_NO_CACHE=1).")


_COLOR_OPTION = click.option(
    "--color", "--colour", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Colour the text report; auto: on a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR forces it.")

_QUIET_OPTION = click.option("--quiet", "-q", is_flag=True,
                             help="No progress line on stderr while a large log (over 50 MB) is read.")
_JOBS_OPTION = click.option("--jobs", "-j", type=click.IntRange(0, 4096), default=1, show_default=True,
                            help="With several logs, each its own: processes reading them at once; 0: one per CPU.")


@contextmanager
def _progress(inputs: Sequence[str], quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress line on stderr for the duration of the read, only on a terminal and unless --quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from logdoctor.read.progress import ProgressLine, known_size

    line = ProgressLine(sys.stderr, known_size(inputs))
    try:
        yield line
    finally:
        line.finish()


_FOLLOW_OPTIONS = (
    click.option("--follow", "-f", is_flag=True,
                 help="Follow a growing file (like tail -f) or a pipe that does not end: a line per start-up stage, "
                      "the diagnosis as soon as it is known, the verdict when the server is ready."),
    click.option("--until", type=click.Choice(["ready", "problem", "end"]), default=None,
                 help="With --follow: stop when the server is ready (or failed), at the first problem, or at the "
                      "end of the input (default). Implies --follow."),
    click.option("--merge", is_flag=True,
                 help="Several inputs are pieces of one log (read in order as one); by default each is its own log."),
)


def _follow_options(command: Callable) -> Callable:
    for option in reversed(_FOLLOW_OPTIONS):
        command = option(command)
    return command


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_follow_options
@_JOBS_OPTION
@_QUIET_OPTION
@_NO_CACHE_OPTION
def facts(inputs: tuple[str, ...], fmt: str, follow: bool, until: str | None, merge: bool, jobs: int,
          quiet: bool) -> None:
    """Print the fact sheet of a log (files, '-', a FIFO, /dev/stdin or a pipe; --follow for a live one)."""
    from logdoctor import api

    sources = _sources(inputs)
    if follow or until:
        _follow(sources[0] if len(sources) == 1 else _one_input(), fmt, until or "end", ranked=False)
    if merge or len(sources) == 1:
        try:
            with _progress(inputs, quiet) as on_progress:
                analysis = api.analysis_of(sources, on_progress=on_progress)
        except InputError as error:
            fail(str(error))
        click.echo(_facts_text(analysis, fmt))
        _exit(*_facts_status(analysis))
    _each(sources, fmt, partial(_facts_text, fmt=fmt), _facts_status, ranked=False, jobs=jobs)


def _facts_text(analysis, fmt: str) -> str:  # type: ignore[no-untyped-def]
    from logdoctor.report import factsheet, jsonout

    if fmt == "json":
        return json.dumps(jsonout.facts_document(analysis), indent=2, ensure_ascii=False, allow_nan=False)
    from logdoctor.report.terminal import width

    return factsheet.render(analysis.sheet, analysis.stats, width=width())


def _facts_status(analysis) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
    return (EXIT_USAGE, analysis.stats.errors[0]) if analysis.stats.errors else (EXIT_OK, None)


_KB_OPTION = click.option(
    "--kb", "kb_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
    help="A knowledge-base folder layered over the built-in one (repeatable; later ones win).")


def _load_kb(kb_dirs: Sequence[str]):  # type: ignore[no-untyped-def]
    """The knowledge base in force, compiled once and then read from the cache."""
    from logdoctor import api

    return api.KnowledgeBase(*kb_dirs)


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--symptom", help="What you see, in your words (English or Chinese), e.g. 'only outputs !!!!'.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True, help="How many causes to show.")
@_KB_OPTION
@click.option("--redact", is_flag=True, help="Remove tokens, keys and passwords from text/JSON (Markdown always is).")
@click.option("--facts", "show_facts", is_flag=True, help="Add the fact sheet to the text report.")
@click.option("--verbose", "-v", is_flag=True,
              help="Text report in full: whole causes, every remedy, low-confidence causes, memory, facts.")
@_COLOR_OPTION
@_follow_options
@_JOBS_OPTION
@_QUIET_OPTION
@_NO_CACHE_OPTION
def diagnose(inputs: tuple[str, ...], symptom: str | None, fmt: str, top: int, kb_dirs: tuple[str, ...],
             redact: bool, show_facts: bool, verbose: bool, color: str, follow: bool, until: str | None, merge: bool,
             jobs: int, quiet: bool) -> None:
    """Rank the likely root causes of what the log shows (the default command).

    Exit status follows the verdict: 0 healthy/risk/not yet ready, 1 problem/failed-unknown/cut traceback,
    2 not a serving log, usage or input error; 130/143 stopped by Ctrl-C/SIGTERM (the report of what was read).
    """
    from logdoctor import api
    from logdoctor.report import terminal, text

    sources = _sources(inputs)
    knowledge_base = _load_kb(kb_dirs)
    colour = terminal.wants_colour(color, sys.stdout)
    layout = text.Layout(width=terminal.width(), colour=colour, verbose=verbose, facts=show_facts, redact=redact)
    render = _ReportRenderer(fmt, top, redact, layout, _command_line(click.get_current_context()))
    if follow or until:
        _follow(sources[0] if len(sources) == 1 else _one_input(), fmt, until or "end", render=render,
                colour=colour, symptom=symptom, kb=knowledge_base)
    if merge or len(sources) == 1:
        try:
            with _progress(inputs, quiet) as on_progress:
                report = api.diagnose(sources, kb=knowledge_base, symptom=symptom, on_progress=on_progress)
        except InputError as error:
            fail(str(error))
        click.echo(render(report), color=colour)
        _exit(*_report_status(report))
    _each(sources, fmt, render, _report_status, colour, symptom=symptom, kb=knowledge_base, jobs=jobs)


@dataclass(frozen=True)
class _ReportRenderer:
    """The report as the chosen format prints it (secrets removed from Markdown always, else on --redact).
    Picklable: with --jobs, each log's report is rendered where it was made."""

    fmt: str
    top: int
    redact: bool
    layout: object  # report.text.Layout
    command: str  # the command line, for the Markdown footer

    def __call__(self, report) -> str:  # type: ignore[no-untyped-def]
        from logdoctor.report import redact as redaction

        if self.fmt == "json":
            from logdoctor.report import jsonout

            document = jsonout.report_document(report, self.top)
            return json.dumps(redaction.redact_document(document) if self.redact else document, indent=2,
                              ensure_ascii=False, allow_nan=False)
        if self.fmt == "markdown":
            from logdoctor.report import markdown

            return redaction.redact(markdown.render(report, self.top, command=self.command))
        from logdoctor.report import text

        rendered = text.render(report, self.top, self.layout)
        return redaction.redact(rendered) if self.redact else rendered


def _report_status(report) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
    """The exit status a report gives, and the one line for stderr that goes with it."""
    if report.analysis.stats.errors:
        return EXIT_USAGE, report.analysis.stats.errors[0]
    verdict = report.verdict
    if verdict.kind == "not-a-serving-log":
        return verdict.exit_code, f"not a vLLM or Xinference log: {verdict.reason} ({verdict.next_step})"
    return verdict.exit_code, None


def _exit(code: int, message: str | None) -> None:
    """Exit with `code` (after its stderr line), or with 128 + signal when a stop signal cut the run short."""
    from logdoctor.read import interrupt

    if message:
        click.echo(f"logdoctor: {message}", err=True)
    signalled = interrupt.exit_code()
    sys.exit(signalled if signalled is not None else code)


def _one_input() -> None:
    raise click.UsageError("--follow takes one input (a file, '-', a FIFO or a pipe)")


def _each(sources: list, fmt: str, render: Callable, status: Callable, colour: bool | None = None,
          **options: object) -> None:
    """Several logs, each on its own: its report under its name, then one summary line; exit with the worst.
    Each report is rendered where it is made (a --jobs worker): what comes back is text."""
    from logdoctor import api

    names = ["stdin" if not isinstance(source, os.PathLike) else os.fspath(source) for source in sources]
    if "stdin" in names:  # standard input is this process's: no worker can read it
        options["jobs"] = 1
    printed = partial(_printed, render=render, status=status)
    documents, summary, worst = [], [], EXIT_OK
    results = api.diagnose_each(sources, then=printed, **options)  # type: ignore[arg-type]
    for name, result in zip(names, results, strict=False):
        if isinstance(result, InputError):
            code, message, word = EXIT_USAGE, str(result), "unreadable"
            if fmt == "json":
                documents.append({"input": name, "error": str(result)})
        else:
            rendered, (code, message), word = result
            if fmt == "json":
                documents.append(json.loads(rendered))
            else:
                click.echo(f"{'## ' if fmt == 'markdown' else '==> '}{name}{'' if fmt == 'markdown' else ' <=='}")
                click.echo(rendered + "\n", color=colour)
        if message:
            click.echo(f"logdoctor: {name}: {message.removeprefix(f'cannot read {name}: ')}", err=True)
        summary.append(f"{name} {word}")
        worst = max(worst, code)
    if fmt == "json":
        click.echo(json.dumps(documents, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(f"logdoctor: {len(summary)} logs: {', '.join(summary)}")
    _exit(worst, None)


def _printed(result, render: Callable, status: Callable) -> tuple[str, tuple[int, str | None], str]:  # type: ignore[no-untyped-def]
    """What the command prints of one log's report (or fact sheet): the text, the exit status and its line,
    the word for the summary."""
    return render(result), status(result), getattr(getattr(result, "verdict", None), "kind", "read")


def _follow(source: object, fmt: str, until: str, render: Callable | None = None, colour: bool | None = None,
            **options: object) -> None:
    """`--follow`: status lines (JSON lines with --format json) as the log arrives, the diagnosis when
    known, the final report at the end; exit as the final report says (130/143 on a stop signal)."""
    from logdoctor import api
    from logdoctor.follow import Update
    from logdoctor.report import headline, jsonout, live

    shown: list[str] = []  # the headlines of the reports printed, not to print the same answer twice in a row

    def full(result) -> str:  # type: ignore[no-untyped-def]
        if render is not None:
            return render(result)
        return _facts_text(result, fmt)

    def on_update(update: Update) -> None:
        result = update.report if update.report is not None else update.analysis
        if fmt == "json":
            document: dict = {"event": update.kind, "line": update.line}
            if update.stage is not None:
                document.update(stage=update.stage.name, facts=update.facts)
            if update.kind != "stage" or update.report is not None:
                document["report" if update.report is not None else "facts"] = (
                    json.loads(full(result)) if update.report is not None else jsonout.facts_document(result))
            click.echo(json.dumps(document, ensure_ascii=False, allow_nan=False))
            return
        if update.kind == "stage" or (update.kind == "diagnosis" and update.report is None):
            click.echo(live.status_line(update))
            return
        said = headline.headline(update.report) if update.report is not None else None
        if update.kind == "end" and said is not None and shown and shown[-1] == said:
            click.echo(f"logdoctor: {update.analysis.stats.describe()}; the answer stands: {said}")
            return
        click.echo(full(result), color=colour)
        shown.append(said or "")

    try:
        result = api.follow(source, on_update=on_update, until=until, **options)  # type: ignore[arg-type]
    except InputError as error:
        fail(str(error))
    _exit(*(_report_status(result) if render is not None else _facts_status(result)))


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Comment only when the best cause reaches this confidence.")
@_KB_OPTION
@click.option("--post", is_flag=True, help="Post (or update) the comment on the issue through GitHub's REST API "
                                           "(GITHUB_TOKEN, GITHUB_REPOSITORY / the event, GITHUB_API_URL).")
@click.option("--label", is_flag=True, help="With --post: also label the issue 'logdoctor: <category>'.")
@click.option("--dry-run", is_flag=True, help="With --post: print the calls it would make, make none that write.")
@_NO_CACHE_OPTION
def issue(source: str, fmt: str, min_confidence: float, kb_dirs: tuple[str, ...], post: bool, label: bool,
          dry_run: bool) -> None:
    """Answer a GitHub issue: a Markdown body (file or '-') or an issues / issue_comment event payload.

    Prints the comment a maintainer would want a bot to post, or nothing (exit 0) with a one-line
    reason on stderr when the issue holds no log or no confident answer. Exit 2: unreadable input or
    a failed GitHub call.
    """
    from pathlib import Path

    from logdoctor import api
    from logdoctor.report import redact as redaction
    from logdoctor.triage import body, comment

    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        filed = body.read(raw)
    except body.OwnComment as own:
        click.echo(f"logdoctor: {own}", err=True)
        sys.exit(EXIT_OK)
    except (OSError, body.IssueError) as error:
        fail(f"cannot read the issue {source}: {getattr(error, 'strerror', None) or error}")
    report = api.diagnose(filed.text, symptom=filed.symptom, kb=_load_kb(kb_dirs))
    answer = comment.answer(report, min_confidence)
    if fmt == "json":
        click.echo(json.dumps(redaction.redact_document(
            {"post": answer.post, "reason": answer.reason, "category": answer.category,
             "confidence": answer.confidence, "issue": filed.number, "comment": answer.comment,
             "report": report.to_dict(top=3)}), indent=2, ensure_ascii=False, allow_nan=False))
    elif answer.comment:
        click.echo(answer.comment)
    click.echo(f"logdoctor: {answer.reason}", err=True)
    if post and answer.post and answer.comment:
        _publish(filed, answer, label, dry_run)


def _publish(filed, answer, label: bool, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    from logdoctor.triage.github import GitHub, GitHubError

    if filed.number is None:
        fail("--post needs an event payload: a Markdown body names no issue number")
    try:
        client = GitHub.from_environment(filed.repository, dry_run)
        done = client.publish(filed.number, answer.comment, f"logdoctor: {answer.category}" if label else None)
    except GitHubError as error:
        fail(f"GitHub: {error}")
    for call in client.calls if dry_run else ():
        click.echo(f"dry run: {call}", err=True)
    click.echo(f"logdoctor: issue #{filed.number}: {'would have ' if dry_run else ''}{done}", err=True)


@main.command()
@click.argument("fact", required=False)
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@_KB_OPTION
def explain(fact: str | None, inputs: tuple[str, ...], kb_dirs: tuple[str, ...]) -> None:
    """What FACT means, which known issues test it and, given a log, its value and the lines that show it.

    Without FACT: every fact with its kind and meaning.
    """
    from logdoctor.report import explain as explaining
    from logdoctor.report.terminal import width

    if fact is None:
        click.echo("\n".join(explaining.every_fact(width())))
        return
    if fact not in explaining.FACTS:
        close = explaining.close_names(fact)
        fail(f"no fact {fact!r}" + (f"; did you mean {', '.join(close)}?" if close else " (see: logdoctor explain)"))
    analysis = None
    if inputs:
        from logdoctor import api

        try:
            analysis = api.analysis_of(_sources(inputs))
        except InputError as error:
            fail(str(error))
    click.echo("\n".join(explaining.one_fact(fact, _load_kb(kb_dirs).entries, width(), analysis, inputs)))


def _command_line(ctx: click.Context) -> str:
    """The command that made a report, rebuilt from what was parsed (for the Markdown report's footer)."""
    words = ["logdoctor", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if isinstance(param, click.Argument):
            words += list(value or ())
        elif isinstance(param, click.Option) and value not in (None, False, ()) and value != param.default:
            flag = max(param.opts, key=len)
            words += [flag] if param.is_flag else [part for item in (value if param.multiple else [value])
                                                   for part in (flag, str(item))]
    return shlex.join(words)


@main.command()
@click.argument("locations", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl", "csv", "markdown"]), default="text",
              show_default=True, help="jsonl ends with a summary object; csv holds the rows (summary on stderr).")
@click.option("--jobs", "-j", type=click.IntRange(0, 4096),
              help="Processes (with --ray: actors) diagnosing at once; 0: one per CPU. Default: 1, with --ray "
                   "one per CPU of the cluster.")
@click.option("--ray", "use_ray", is_flag=True,
              help="Read and diagnose with Ray Data (pip install 'logdoctor[ray]'); LOCATIONS may be URIs (s3://…).")
@click.option("--ray-address",
              help="The Ray cluster to join (implies --ray; default: RAY_ADDRESS, else a local instance).")
@click.option("--symptom", help="What you see on every server, in your words.")
@_KB_OPTION
@_QUIET_OPTION
@_NO_CACHE_OPTION
def fleet(locations: tuple[str, ...], fmt: str, jobs: int | None, use_ray: bool, ray_address: str | None,
          symptom: str | None, kb_dirs: tuple[str, ...], quiet: bool) -> None:
    """Diagnose many logs (files, folders, quoted globs; gzip too): one row per log, then a summary by cause.

    Exit status: 0 no log shows a problem, 1 at least one is problem or failed-unknown, 2 usage error
    or a location with no log.
    """
    from logdoctor.fleet import inputs, render
    from logdoctor.fleet.rows import summarize

    progress = not quiet and sys.stderr.isatty()
    try:
        if use_ray or ray_address:
            from logdoctor.fleet import onray

            try:
                rows, groups = onray.diagnose_all(locations, address=ray_address, symptom=symptom, kb_dirs=kb_dirs,
                                                  actors=jobs or None, progress=progress)
            except onray.RayUnavailable as error:
                fail(str(error))
        else:
            from logdoctor.fleet import local

            paths = inputs.log_files(locations)
            results = local.diagnose_all(paths, jobs=1 if jobs is None else jobs, symptom=symptom, kb_dirs=kb_dirs)
            with click.progressbar(results, length=len(paths), label="diagnosing", file=sys.stderr,
                                   hidden=not progress) as bar:
                rows = list(bar)
            groups = summarize(rows)
    except InputError as error:
        fail(str(error))
    click.echo(render.render(rows, groups, fmt))
    if fmt == "csv":
        click.echo(render.headline(rows, groups), err=True)
    sys.exit(EXIT_PROBLEM if any(row.verdict in ("problem", "failed-unknown") for row in rows) else EXIT_OK)


@main.group()
def kb() -> None:
    """Work with the knowledge base of known issues."""


@kb.command("check")
@_KB_OPTION
@click.option("--no-builtin", is_flag=True, help="Check only the --kb folders, not the built-in entries.")
@click.option("--no-fixtures", is_flag=True, help="Skip running the entries' fixture logs.")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text", show_default=True,
              help="github: workflow annotations on the entries' lines in a pull request.")
def kb_check(kb_dirs: tuple[str, ...], no_builtin: bool, no_fixtures: bool, fmt: str) -> None:
    """Validate every entry: schema, category, conditions, regexes, fixtures. Exit 1 on any problem."""
    from pathlib import Path

    from logdoctor.knowledge import check as kbcheck

    problems = kbcheck.check([Path(d) for d in kb_dirs], include_builtin=not no_builtin, fixtures=not no_fixtures)
    errors = [problem for problem in problems if not problem.warning]
    if fmt == "json":
        click.echo(json.dumps({"valid": not errors, "problems": [p.as_dict() for p in problems]}, indent=2,
                              ensure_ascii=False))
    for problem in problems if fmt != "json" else ():
        click.echo(problem.github() if fmt == "github" else str(problem))
    click.echo(kbcheck.verdict(problems), err=True)
    sys.exit(EXIT_PROBLEM if errors else EXIT_OK)


@kb.command("list")
@_KB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def kb_list(kb_dirs: tuple[str, ...], fmt: str) -> None:
    """List the entries in force (built-in plus --kb layers)."""
    knowledge_base = _load_kb(kb_dirs)
    rows = sorted(knowledge_base.entries, key=lambda e: (e.category, e.id))
    if fmt == "json":
        click.echo(json.dumps([{"id": e.id, "category": e.category, "title": e.title, "path": str(e.path)}
                               for e in rows], indent=2, ensure_ascii=False, allow_nan=False))
    else:
        for entry in rows:
            click.echo(f"{entry.category:<38} {entry.id:<44} {entry.title}")
        click.echo(f"{len(rows)} entries", err=True)
    for warning in knowledge_base.warnings:
        click.echo(f"warning: {warning}", err=True)


@kb.command("show")
@click.argument("entry_id")
@_KB_OPTION
def kb_show(entry_id: str, kb_dirs: tuple[str, ...]) -> None:
    """Print one entry as written."""
    entry = _load_kb(kb_dirs).base.get(entry_id)
    if entry is None or entry.path is None:
        fail(f"no entry {entry_id!r} (see: logdoctor kb list)")
    from pathlib import Path

    from logdoctor import knowledge
    from logdoctor.knowledge.yamlsafe import YamlError

    try:
        text = knowledge.entry_text(entry.path, [Path(d) for d in kb_dirs])
    except YamlError as error:
        fail(f"{entry.path}: {error}")
    click.echo(f"# {entry.path}")
    click.echo(text.rstrip())


@kb.command("new")
@click.argument("entry_id")
@click.option("--from", "log", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A log that shows the issue; it becomes the entry's positive fixture.")
@click.option("--category", required=True, help="One of the taxonomy's categories (kb/taxonomy.yaml).")
@click.option("--into", "folder", default="kb/new", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the entry and its fixture into.")
@click.option("--reference", "references", multiple=True,
              help="The issue thread or commit where the cause was established (repeatable).")
@click.option("--symptom", "symptoms", multiple=True, help="What a user says when this happens (repeatable).")
@click.option("--decisive/--not-decisive", default=None,
              help="Whether the log's error alone names this issue (default: yes unless the error is generic, "
                   "such as a plain CUDA out of memory).")
@_KB_OPTION
@click.option("--no-builtin", is_flag=True, help="Draft and check against the --kb folders only.")
def kb_new(entry_id: str, log: str, category: str, folder: str, references: tuple[str, ...],
           symptoms: tuple[str, ...], decisive: bool | None, kb_dirs: tuple[str, ...], no_builtin: bool) -> None:
    """Draft an entry and its fixture from a log, then run kb check on it.

    The draft holds the log's error lines as signatures, a `when` that tells the log apart from the
    entries already ranking on it, the fact sheet as a comment, symptoms and remedies drawn from the
    error; the title and cause are left for you (TODO). Exit 0 once written, whatever kb check says.
    """
    from pathlib import Path

    from logdoctor import api
    from logdoctor.knowledge import check as kbcheck
    from logdoctor.knowledge import scaffold

    layers = scaffold.layers_for(Path(folder), [Path(d) for d in kb_dirs], include_builtin=not no_builtin)
    try:
        knowledge_base = api.KnowledgeBase(*layers, builtin=not no_builtin)
        draft = scaffold.new_entry(entry_id, Path(log), category, Path(folder), knowledge_base,
                                   decisive=decisive, references=references, symptoms=symptoms)
    except (scaffold.DraftError, InputError) as error:
        fail(str(error))
    click.echo(f"wrote {draft.entry}\nwrote {draft.fixture}")
    click.echo(f"when: {draft.when or '(none proposed)'}")
    problems = kbcheck.check(layers, include_builtin=not no_builtin)
    for problem in problems:
        click.echo(str(problem))
    click.echo(kbcheck.verdict(problems))
    click.echo("next: write the title and the cause, read the rest; then: logdoctor kb check", err=True)


def _stdout_to_devnull() -> None:
    """Point the standard output's descriptor at /dev/null, so that the interpreter's last flush of
    what is still buffered neither fails again nor prints "Exception ignored" on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):  # no stdout at all: nothing is left to flush
        pass


def run() -> None:
    """Entry point: every way a run ends maps to one documented exit code (module docstring, README).

    Click's own `main()` is bypassed (make_context + invoke) because it turns a closed pipe into exit
    status 1, which here means "a confident problem"; so shell completion, which `main()` starts, is
    started here, through click's public `shell_complete`."""
    instruction = os.environ.get(_COMPLETE_VARIABLE)
    if instruction:
        from click.shell_completion import shell_complete

        sys.exit(shell_complete(main, {}, "logdoctor", _COMPLETE_VARIABLE, instruction))
    interrupt.install()
    try:
        with main.make_context("logdoctor", sys.argv[1:]) as context:
            main.invoke(context)
    except SystemExit:
        raise
    except click.exceptions.Exit as done:  # --help, --version
        sys.exit(done.exit_code)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:  # `logdoctor kb`: its help
            click.echo(context.get_help())
            sys.exit(EXIT_OK)
        command = context.command_path if context is not None else "logdoctor"
        fail(f"{error.format_message()} (see: {command} --help)".replace("\n", " "), EXIT_USAGE)
    except (KeyboardInterrupt, click.Abort):  # a second stop signal: give up at once
        fail("interrupted", interrupt.exit_code() or EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader left (`| head -1`): nothing to say, and no one to say it to
        _stdout_to_devnull()
        sys.exit(EXIT_BROKEN_PIPE)
    except OSError as error:
        if error.errno not in _WRITE_ERRNOS:
            _internal_error(error)
        _stdout_to_devnull()
        fail(f"cannot write the report: {error.strerror or error}", EXIT_USAGE)
    except Exception as error:
        _internal_error(error)
    sys.exit(EXIT_OK)


def _internal_error(error: Exception) -> None:
    fail(f"internal error: {type(error).__name__}: {error} (please report this; if a cached file is to blame, "
         "--no-cache rules it out)", EXIT_INTERNAL)
