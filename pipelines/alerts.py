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


def _tls_context(settings: Alerts) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def send_email(alert: Alert, settings: Alerts) -> None:
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


def post_webhook(alert: Alert, settings: Alerts) -> None:
    request = urllib.request.Request(
        settings.webhook_url, data=json.dumps({"subject": alert.subject, **asdict(alert)}).encode("utf-8"),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:
        response.read()


def notify(alert: Alert, settings: Alerts | None) -> list[str]:
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
            LOG.error("could not send the %s alert for run %s: %s", name, alert.run_id, exc)
    return problems
