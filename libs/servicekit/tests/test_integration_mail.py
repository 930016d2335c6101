"""The SMTP sender against a real SMTP server."""

import pytest

from servicekit.mail import Mail, MailSettings, SmtpSender

pytestmark = pytest.mark.integration


def settings(sink):
    return MailSettings(
        host=sink.host,
        port=sink.port,
        sender="Suite <suite@mms.local>",
        bounce_address="bounces@mms.local",
    )


def test_batch_over_one_connection_with_headers_and_both_bodies(smtp_sink):
    mails = [
        Mail(
            to=f"user{i}@example.com",
            subject=f"Hello {i}",
            text=f"text {i}",
            html=f"<p>html {i}</p>",
            headers={"List-Unsubscribe": f"<https://x/u/{i}>"},
        )
        for i in range(20)
    ]
    with SmtpSender(settings(smtp_sink)) as sender:
        results = sender.send(mails)
    assert [r.outcome for r in results] == ["sent"] * 20
    assert len(smtp_sink.messages) == 20
    first = smtp_sink.to("user0@example.com")[0]
    assert first.subject == "Hello 0"
    assert first.body("plain").strip() == "text 0"
    assert "<p>html 0</p>" in first.body("html")
    assert first.message["List-Unsubscribe"] == "<https://x/u/0>"
    assert first.mail_from == "bounces@mms.local"


def test_hard_and_soft_failures_are_told_apart(smtp_sink):
    with SmtpSender(settings(smtp_sink)) as sender:
        results = sender.send(
            [
                Mail(to="bounce-1@example.com", subject="s", text="t"),
                Mail(to="tempfail-1@example.com", subject="s", text="t"),
                Mail(to="fine@example.com", subject="s", text="t"),
            ]
        )
    assert [(r.outcome, r.code) for r in results] == [
        ("permanent", 550),
        ("temporary", 451),
        ("sent", 250),
    ]
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["fine@example.com"]]


def test_server_down_is_temporary_not_lost():
    from servicekit.testing.servers import free_port

    sender = SmtpSender(MailSettings(host="127.0.0.1", port=free_port(), timeout=2))
    (result,) = sender.send([Mail(to="a@example.com", subject="s", text="t")])
    assert result.outcome == "temporary"
    assert "unavailable" in result.detail


def test_unicode_and_header_injection(smtp_sink):
    mail = Mail(
        to="mei@example.com",
        to_name="林美",
        subject="春季新品 — 10% off",
        text="你好，美！",
        html="<p>你好</p>",
        headers={"X-Campaign": "spring\r\nBcc: victim@example.com"},
    )
    with SmtpSender(settings(smtp_sink)) as sender:
        (result,) = sender.send([mail])
    assert result.sent
    (received,) = smtp_sink.messages
    assert received.subject == "春季新品 — 10% off"
    assert "林美" in str(received.message["To"])
    assert received.body("plain").strip() == "你好，美！"
    assert received.message["Bcc"] is None  # the line break did not start a new header
    assert received.rcpt_tos == ["mei@example.com"]
