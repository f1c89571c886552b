"""Telling operators that a month did not publish: an e-mail through the profile's SMTP server (TLS, password
from the environment) and an optional webhook. A failure to send is logged and returned, never raised: it must not
hide the failure it reports."""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage

from pipelines.profile import Alerts

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    entity: str
    period: str  # YYYY-MM, or "" for a run of no month (staging only)
    job: str
    run_id: str
    step: str
    reason: str

    @property
    def subject(self) -> str:
        return f"[{self.entity}] transparency report {self.period or '(no month)'} not published: {self.step} failed"

    @property
    def body(self) -> str:
        return (f"The publication run of {self.period or 'no particular month'} failed; nothing of it was "
                f"published.\n\nMonth:  {self.period or '-'}\nJob:    {self.job}\nRun:    {self.run_id}\n"
                f"Step:   {self.step}\n\nReason:\n{self.reason}\n")


@dataclass(frozen=True)
class DraftAlert:
    """A DORA report drafted for a major incident, and when it is due."""

    entity: str
    incident: str
    report: str  # "initial notification", …
    due_at: str  # UTC, or "" when not yet known
    state: str  # due, overdue, sent
    file: str  # the JSON drafted, under reports/
    authority: str

    @property
    def subject(self) -> str:
        due = f", due {self.due_at}" if self.due_at else ""
        return f"[{self.entity}] DORA {self.report} drafted for major incident {self.incident}{due}"

    @property
    def body(self) -> str:
        return (f"The pipeline drafted the {self.report} on the major ICT-related incident {self.incident}.\n\n"
                f"Authority: {self.authority}\nDue:       {self.due_at or 'not yet known'} ({self.state})\n"
                f"File:      {self.file} (and its readable PDF beside it)\n\n"
                "Check it, submit it through the authority's channel, then record the submission:\n"
                f"  transparency dora submitted {self.incident} --stage <stage> --at <time> [--reference REF]\n")


Message = Alert | DraftAlert


def _tls_context(settings: Alerts) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def send_email(alert: Message, settings: Alerts) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = alert.subject, settings.sender, ", ".join(settings.recipients)
    message.set_content(alert.body)
    smtp_class = smtplib.SMTP_SSL if settings.security == "tls" else smtplib.SMTP
    options = {"context": _tls_context(settings)} if settings.security == "tls" else {}
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds, **options) as smtp:
        if settings.security == "starttls":
            smtp.starttls(context=_tls_context(settings))
        if settings.username:
            password = os.environ.get(settings.password_env, "") if settings.password_env else ""
            if settings.password_env and not password:
                raise RuntimeError(f"the SMTP password variable {settings.password_env} is not set")
            smtp.login(settings.username, password)
        smtp.send_message(message)


def post_webhook(alert: Message, settings: Alerts) -> None:
    request = urllib.request.Request(
        settings.webhook_url, data=json.dumps({"subject": alert.subject, **asdict(alert)}).encode("utf-8"),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:
        response.read()


def notify(alert: Message, settings: Alerts | None) -> list[str]:
    """Send `alert` by every configured channel; the problems met, each also logged."""
    if settings is None:
        return []
    channels = [("e-mail", send_email)] + ([("webhook", post_webhook)] if settings.webhook_url else [])
    problems = []
    for name, send in channels:
        try:
            send(alert, settings)
        except Exception as exc:  # any failure to send: reported beside the run's failure, never instead of it
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
            LOG.error("could not send the %s alert %r: %s", name, alert.subject, exc)
    return problems
