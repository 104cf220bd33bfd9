"""The github writer: a document's alerts as GitHub Actions workflow commands, which the
runner shows as annotations on the pull request (`::error file=F,title=T::message`)."""

from __future__ import annotations

from costlab.render.section import Alert, Document

__all__ = ["write_github"]


def _escape(message: str) -> str:
    """GitHub's workflow-command escaping of a message: %, CR and LF."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command(alert: Alert) -> str:
    file = f"file={alert.file}," if alert.file else ""
    return f"::{alert.level} {file}title={alert.title}::{_escape(alert.message)}"


def write_github(document: Document) -> str:
    """One workflow command per alert; a document without alerts is one notice of its title
    and heading, so that the run's log says what was written."""
    alerts = document.alerts or (Alert("notice", document.title or f"costlab {document.kind}",
                                       " ".join(document.heading)),)
    return "\n".join(_command(alert) for alert in alerts) + "\n"
