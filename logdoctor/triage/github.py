"""The few GitHub REST calls issue triage makes: find its own comment, update or create it, label.

The standard library's urllib is enough for four calls, and keeps the Action's install to
logdoctor itself. The API's address comes from `GITHUB_API_URL` (set by Actions, and by the tests
to a local server), the token from `GITHUB_TOKEN`; nothing else is read from the environment.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from logdoctor.triage.comment import MARKER

DEFAULT_API = "https://api.github.com"
_PAGE = 100
_MAX_PAGES = 30  # 3,000 comments: past that an issue is no place for a bot


class GitHubError(RuntimeError):
    """A call failed; the message is one line (status and GitHub's own message)."""


@dataclass
class GitHub:
    """A client for one repository; `calls` records what was done (the dry run prints it)."""

    repository: str  # owner/name
    token: str | None
    api: str = DEFAULT_API
    dry_run: bool = False
    calls: list[str] = field(default_factory=list)

    @classmethod
    def from_environment(cls, repository: str | None, dry_run: bool = False) -> GitHub:
        repository = repository or os.environ.get("GITHUB_REPOSITORY")
        if not repository or "/" not in repository:
            raise GitHubError("no repository: the event names none and GITHUB_REPOSITORY is not set")
        token = os.environ.get("GITHUB_TOKEN")
        if not token and not dry_run:
            raise GitHubError("GITHUB_TOKEN is not set (the workflow passes it to the action)")
        return cls(repository, token, os.environ.get("GITHUB_API_URL", DEFAULT_API).rstrip("/"), dry_run)

    def publish(self, number: int, comment: str, label: str | None = None) -> str:
        """Update this bot's comment on issue `number`, or create it; add `label`. Returns what was done."""
        existing = self._own_comment(number)
        if existing is None:
            self._call("POST", f"/repos/{self.repository}/issues/{number}/comments", {"body": comment})
            done = "created a comment"
        else:
            self._call("PATCH", f"/repos/{self.repository}/issues/comments/{existing}", {"body": comment})
            done = f"updated comment {existing}"
        if label:
            self._call("POST", f"/repos/{self.repository}/issues/{number}/labels", {"labels": [label]})
            done += f", labelled {label!r}"
        return done

    def _own_comment(self, number: int) -> int | None:
        for page in range(1, _MAX_PAGES + 1):
            comments = self._call("GET", f"/repos/{self.repository}/issues/{number}/comments"
                                         f"?per_page={_PAGE}&page={page}", read_only=True)
            if not isinstance(comments, list):
                return None
            for comment in comments:
                if isinstance(comment, dict) and str(comment.get("body", "")).startswith(MARKER):
                    return int(comment["id"])
            if len(comments) < _PAGE:
                return None
        return None

    def _call(self, method: str, path: str, payload: dict | None = None, read_only: bool = False) -> object:
        self.calls.append(f"{method} {path}")
        if self.dry_run and not read_only:
            return None
        if self.dry_run and not self.token:
            return []  # a dry run without a token cannot look; it reports a create
        request = urllib.request.Request(
            self.api + path, method=method, data=json.dumps(payload).encode() if payload is not None else None,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                     "User-Agent": "logdoctor-issue-triage", "Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
        except urllib.error.HTTPError as error:
            raise GitHubError(f"{method} {path}: HTTP {error.code}: {_message(error.read())}") from None
        except (urllib.error.URLError, OSError) as error:
            raise GitHubError(f"{method} {path}: {getattr(error, 'reason', error)}") from None
        return json.loads(data) if data else None


def _message(body: bytes) -> str:
    """GitHub's error message from a response body (JSON `message`, else the text), on one line."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    text = document.get("message") if isinstance(document, dict) else body.decode("utf-8", "replace")
    return " ".join(str(text).split())[:300]
