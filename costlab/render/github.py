"""The github writer: a document's alerts as GitHub Actions workflow commands, which the
runner shows as annotations on the pull request (`::error file=F,title=T::message`)."""

from __future__ import annotations

from costlab.render.section import Alert, Document

__all__ = ["write_github"]


def _escape(message: str) -> str:
    """GitHub's workflow-command escaping of a message: %, CR and LF."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """A property value (file=, title=) escapes ':' and ',' too, which would end it: a lock
    entry such as `mobilenetv1:alpha=0.25,resolution=128` in a title."""
    return _escape(value).replace(":", "%3A").replace(",", "%2C")


def _command(alert: Alert) -> str:
    file = f"file={_escape_property(alert.file)}," if alert.file else ""
    return f"::{alert.level} {file}title={_escape_property(alert.title)}::" \
           f"{_escape(alert.message)}"


def write_github(document: Document) -> str:
    """One workflow command per alert; a document without alerts is one notice of its title
    and heading, so that the run's log says what was written."""
    alerts = document.alerts or (Alert("notice", document.title or f"costlab {document.kind}",
                                       " ".join(document.heading)),)
    return "\n".join(_command(alert) for alert in alerts) + "\n"
