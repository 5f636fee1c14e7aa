"""Alert channels against local stand-ins of each platform: payloads, signatures, retries, masking, e-mail."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from monitor_servers import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    HOOK_SECRET,
    HOOK_TOKEN,
    TOKENS,
    PlatformServer,
    SMTPServer,
)

from koubei.errors import AlertError
from koubei.monitor._entries import Entries
from koubei.monitor.alerts import AlertMessage, channel_from_entries, deliver, issue_facts, mask_url
from koubei.monitor.alerts.chat import slack_mrkdwn

# An issue row as the issue store lists it, with the demo dump's story (乙食品厂's batch B2611-02 of
# 原味瓜子 tastes of nothing) and quotes holding personal data and chat markup.
ROW = {
    "issue_id": "KB-e01336da1c", "status": "ongoing", "topic": "taste", "topic_zh": "口味·太淡",
    "direction": "too_bland", "dimension": "product", "level": "supplier,product",
    "cell": '{"supplier": "乙食品厂", "product": "原味瓜子"}', "cell_label": "乙食品厂 / 原味瓜子",
    "freq": "W", "window": "2026-W48", "first_window": "2026-W46", "count": 15, "total": 61,
    "rate": 15 / 61, "baseline_rate": 0.009, "lift": 27.3, "severity": 80.9, "q_value": 6.4e-07,
    "summary": "口味·太淡 (taste/too_bland) 乙食品厂 / 原味瓜子: 近3个窗口至 2026-W48 15 条 / 61 条评论",
    "trace": '[{"column": "batch", "value": "B2611-02", "count": 15, "total": 54, "expected": 0.49, '
             '"excess_share": 1.0, "share": 1.0, "lift": 30.86}]',
    "quotes": '["日期是最近的，就是没味道，像没炒过的。", "吃着没味道，客服电话13812345678也打不通", '
              '"没味道 [点我领券](http://evil.example/x) <!channel> @所有人 **快看**"]',
    "review_ids": '["JD1", "TM2"]',
}


def message(kind: str = "new", lang: str = "zh",
            report: str | None = "/srv/koubei/report.html") -> AlertMessage:
    import pandas as pd

    from koubei.export.rows import build_records
    from koubei.export.teams import load_teams
    from koubei.taxonomy import load_taxonomy

    df = pd.DataFrame([ROW])
    tax, teams = load_taxonomy(), load_teams()
    zh = build_records(df, taxonomy=tax, teams=teams, lang="zh", mask=True)[0]
    en = build_records(df, taxonomy=tax, teams=teams, lang="en", mask=True)[0]
    facts = issue_facts(ROW, zh, en, previous_severity=50.1 if kind == "escalated" else None, report=report)
    return AlertMessage(f"KB-e01336da1c:e1:{kind}", kind, facts, lang)


ENV = {"WECHAT": "", "DINGTALK": "", "FEISHU": "", "SLACK": "", "HOOK": "", "DING_SECRET": DINGTALK_SECRET,
       "FEISHU_SECRET": FEISHU_SECRET, "HOOK_SECRET": HOOK_SECRET, "HOOK_TOKEN": HOOK_TOKEN}
TABLES: dict[str, dict[str, Any]] = {
    "wechat": {"webhook_env": "WECHAT"},
    "dingtalk": {"webhook_env": "DINGTALK", "secret_env": "DING_SECRET"},
    "feishu": {"webhook_env": "FEISHU", "secret_env": "FEISHU_SECRET"},
    "slack": {"webhook_env": "SLACK"},
    "webhook": {"url_env": "HOOK", "secret_env": "HOOK_SECRET", "token_env": "HOOK_TOKEN"},
}
PLATFORM = {"wechat": "wechat", "dingtalk": "dingtalk", "feishu": "feishu", "slack": "slack",
            "webhook": "hook"}


@pytest.fixture
def server() -> Iterator[PlatformServer]:
    s = PlatformServer()
    yield s
    s.close()


def env_for(server: PlatformServer, **extra: str) -> dict[str, str]:
    return {**ENV, "WECHAT": server.url("wechat"), "DINGTALK": server.url("dingtalk"),
            "FEISHU": server.url("feishu"), "SLACK": server.url("slack"), "HOOK": server.url("hook"), **extra}


def channel(name: str, env: dict[str, str], timeout: float = 5.0, **table: Any) -> Any:
    t = Entries({**TABLES.get(name, {}), **table}, file="monitor.toml", table=f"alerts.{name}", env=env)
    ch = channel_from_entries(name, t, timeout=timeout)
    t.done()
    return ch


def all_secrets() -> list[str]:
    return [DINGTALK_SECRET, FEISHU_SECRET, HOOK_SECRET, HOOK_TOKEN, *TOKENS.values()]


@pytest.mark.parametrize("name", list(TABLES))
def test_each_platform_gets_its_documented_payload_and_signature(server: PlatformServer, name: str) -> None:
    ch = channel(name, env_for(server))
    ch.send(message())
    [got] = server.received(PLATFORM[name])
    assert got.problems == []
    text = got.raw.decode("utf-8")
    assert "乙食品厂 / 原味瓜子" in text and "B2611-02" in text
    assert "13812345678" not in text and "电话" in text  # quotes are masked ([电话], ［电话］ in Markdown)
    if name == "webhook":
        assert got.headers["idempotency-key"] == "KB-e01336da1c:e1:new"
        assert got.body["event"] == "koubei.issue.new" and got.body["issue"]["count"] == 15


@pytest.mark.parametrize("name", ["dingtalk", "feishu", "webhook"])
def test_a_wrong_secret_is_refused_and_the_error_shows_no_secret(server: PlatformServer, name: str) -> None:
    env = env_for(server, DING_SECRET="SEC" + "f" * 64, FEISHU_SECRET="wrong-secret", HOOK_SECRET="wrong")
    with pytest.raises(AlertError, match=r"refused the message \(code (310000|19021)|HTTP 401") as e:
        channel(name, env).send(message())
    assert server.received()[0].problems  # the platform saw a bad signature
    assert f"{name} (http://127.0.0.1:" in str(e.value) and "/***)" in str(e.value)
    for secret in [*all_secrets(), "SEC" + "f" * 64, "wrong-secret"]:
        assert secret not in str(e.value)


def test_an_error_code_in_a_200_reply_is_an_error(server: PlatformServer) -> None:
    server.fail("wechat", "code")
    refused = r"wechat \(http://127\.0\.0\.1:\d+/\*\*\*\): the platform refused the message"
    with pytest.raises(AlertError, match=refused + r" \(code 310000: scripted error\)"):
        channel("wechat", env_for(server)).send(message())
    server.fail("slack", "code")
    with pytest.raises(AlertError, match="channel_is_archived"):
        channel("slack", env_for(server)).send(message())


def test_failed_tries_are_retried_with_backoff_until_one_succeeds(server: PlatformServer) -> None:
    server.fail("dingtalk", "500", "code", "429")
    waits: list[float] = []
    ch = channel("dingtalk", env_for(server))
    done = deliver(message(), ch, retries=3, backoff=1.5, sleep=waits.append)
    assert (done.state, done.attempts, done.error) == ("sent", 4, None)
    assert waits == [1.5, 3.0, 0.0]  # doubling; a 429's Retry-After: 0 wins
    assert len(server.received("dingtalk")) == 4


def test_a_timeout_is_retried_and_reported_with_the_masked_address(server: PlatformServer) -> None:
    server.timeout_sleep = 1.5
    server.fail("feishu", "timeout", "timeout")
    ch = channel("feishu", env_for(server), timeout=0.3)
    done = deliver(message(), ch, retries=1, backoff=0, sleep=lambda s: None)
    assert done.state == "failed" and done.attempts == 2
    assert done.error is not None and "no answer within 0.3 s" in done.error
    assert done.error.startswith("feishu (http://127.0.0.1:") and TOKENS["feishu"] not in done.error


def test_a_connection_refused_is_a_masked_alert_error() -> None:
    env = {**ENV, "SLACK": f"http://127.0.0.1:9/services/{TOKENS['slack']}"}
    with pytest.raises(AlertError, match=r"slack \(http://127\.0\.0\.1:9/\*\*\*\): cannot connect") as e:
        channel("slack", env, timeout=2).send(message())
    assert TOKENS["slack"] not in str(e.value)


def test_redirects_are_not_followed(server: PlatformServer) -> None:
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(307)
            self.send_header("Location", server.url("hook"))
            self.end_headers()

        def log_message(self, *a: Any) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.handle_request, daemon=True).start()
    env = {**ENV, "HOOK": f"http://127.0.0.1:{httpd.server_address[1]}/x?token=abc"}
    with pytest.raises(AlertError, match="HTTP 307"):
        channel("webhook", env).send(message())
    httpd.server_close()
    assert server.received() == []  # the signed body never went to the other address


@pytest.mark.parametrize(("url", "masked"), [
    ("https://oapi.dingtalk.com/robot/send?access_token=abc123", "https://oapi.dingtalk.com/***"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6", "https://qyapi.weixin.qq.com/***"),
    ("https://hooks.slack.com/services/T0/B0/xyz", "https://hooks.slack.com/***"),
    ("http://user:pw@10.0.0.5:8080/hook", "http://10.0.0.5:8080/***"),
    ("https://example.com", "https://example.com"),
    ("not a url", "***"),
])
def test_mask_url_keeps_scheme_and_host_only(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_chinese_message_has_every_part() -> None:
    text = message("escalated").text()
    assert text.splitlines()[0] == "口碑预警｜问题升级：口味·太淡｜乙食品厂 / 原味瓜子"
    for part in ("严重度：50 → 81", "窗口：2026-W48（始于 2026-W46）",
                 "15 条 / 61 条评论（24.6%），基线 0.9%",
                 "追溯：100% 来自批次 B2611-02", "「日期是最近的，就是没味道，像没炒过的。」",
                 "报告：/srv/koubei/report.html", "问题编号：KB-e01336da1c"):
        assert part in text, part


def test_english_message() -> None:
    text = message("new", "en").text()
    assert text.splitlines()[0].startswith("koubei alert｜new issue: Taste")
    for part in ("Severity: 81", "15 of 61 reviews (24.6%), baseline 0.9%", "Trace: 100% from batch B2611-02",
                 "Issue: KB-e01336da1c"):
        assert part in text, part


def test_customer_text_cannot_post_links_ping_or_format() -> None:
    msg = message()
    for rendered in (msg.markdown(), slack_mrkdwn(msg.markdown()), msg.text()):
        assert "http://evil.example" not in rendered and "链接" in rendered  # [链接], ［链接］ in Markdown
    assert "<!channel>" not in slack_mrkdwn(msg.markdown())
    md = msg.markdown()
    assert "@所有人" not in md and "＠所有人" in md and "＊＊快看＊＊" in md and "［点我领券］" in md


def test_report_address_is_a_link_where_markdown_renders() -> None:
    msg = message(report="https://intranet.example.com/koubei/report.html")
    url = "https://intranet.example.com/koubei/report.html"
    assert f"[{url}]({url})" in msg.markdown()
    assert "<https://intranet.example.com/koubei/report.html|" in slack_mrkdwn(msg.markdown())


def test_wechat_markdown_is_cut_to_its_4096_byte_limit(server: PlatformServer) -> None:
    msg = message()
    msg.facts["quotes"] = ["太淡了" * 600]
    msg.facts["summary"] = "没味道" * 600
    channel("wechat", env_for(server)).send(msg)
    assert server.received("wechat")[0].problems == []


# -- e-mail -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server context with a self-signed certificate for localhost, and the certificate as CA file."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    return ctx, d / "cert.pem"


def email_channel(port: int, ca: Path | None, **table: Any) -> Any:
    env = {"SMTP_USER": "qa-bot", "SMTP_PASSWORD": "pw-Secret-42"}
    t = {"host": "localhost", "port": port, "from": "koubei@example.com",
         "to": ["qa@example.com", "pm@example.com"],
         "username_env": "SMTP_USER", "password_env": "SMTP_PASSWORD", **({"ca_file": str(ca)} if ca else {}),
         **table}
    entries = Entries(t, file="monitor.toml", table="alerts.email", env=env)
    return channel_from_entries("email", entries, timeout=5)


def test_email_goes_over_starttls_with_login(tls: tuple[ssl.SSLContext, Path]) -> None:
    server = SMTPServer(tls[0], users={"qa-bot": "pw-Secret-42"})
    try:
        email_channel(server.port, tls[1]).send(message("escalated"))
    finally:
        server.close()
    [mail] = server.mails
    assert mail.tls and mail.login == ("qa-bot", "pw-Secret-42")
    assert mail.recipients == ["qa@example.com", "pm@example.com"]
    msg = mail.message
    from email.header import decode_header, make_header

    subject = str(make_header(decode_header(msg["Subject"])))
    assert subject == "口碑预警｜问题升级：口味·太淡｜乙食品厂 / 原味瓜子"
    assert msg["X-Koubei-Idempotency-Key"] == "KB-e01336da1c:e1:escalated"
    body = bytes(msg.get_payload(decode=True)).decode("utf-8")
    assert "追溯：100% 来自批次 B2611-02" in body and "13812345678" not in body


def test_email_never_falls_back_to_plain_text(tls: tuple[ssl.SSLContext, Path]) -> None:
    server = SMTPServer(None, starttls=False, users={"qa-bot": "pw-Secret-42"})
    try:
        with pytest.raises(AlertError, match="does not offer STARTTLS; the message was not sent in clear"):
            email_channel(server.port, tls[1]).send(message())
    finally:
        server.close()
    assert server.mails == []


def test_email_checks_the_server_certificate(tls: tuple[ssl.SSLContext, Path]) -> None:
    server = SMTPServer(tls[0], users={"qa-bot": "pw-Secret-42"})
    try:
        with pytest.raises(AlertError, match="TLS failed .*give ca_file"):
            email_channel(server.port, None).send(message())  # a self-signed certificate, no ca_file
    finally:
        server.close()
    assert server.mails == []


def test_email_wrong_password_shows_no_secret(tls: tuple[ssl.SSLContext, Path]) -> None:
    server = SMTPServer(tls[0], users={"qa-bot": "another"})
    try:
        with pytest.raises(AlertError, match=r"email \(smtp://localhost:\d+\): SMTPAuthenticationError") as e:
            email_channel(server.port, tls[1]).send(message())
    finally:
        server.close()
    assert "pw-Secret-42" not in str(e.value)


# -- rate limits: a run with more alerts than a robot takes a minute -------------------------


class FakeClock:
    """Seconds since the epoch that move only when the code sleeps (the outbox's times are real)."""

    def __init__(self) -> None:
        import time

        self.now, self.slept = time.time(), []  # type: ignore[var-annotated]

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_limiter_keeps_each_window_and_stops_at_the_run_s_wait_budget() -> None:
    from koubei.monitor.alerts.limits import RateLimiter, channel_limits, describe

    clock = FakeClock()
    lim = RateLimiter(max_wait=50, recent={"ding": [clock.now - 50]}, clock=clock, sleep=clock.sleep)
    limits = channel_limits("dingtalk", None)
    for _ in range(19):  # one send 50 s ago: 19 more fit in the minute
        assert lim.acquire("ding", limits)
        lim.record("ding")
    assert clock.slept == [] and lim.wait("ding", limits) == pytest.approx(10.0)
    assert lim.acquire("ding", limits) and clock.slept == [10.0]  # the old send leaves the window
    lim.record("ding")
    # 20 sent in the last 50 s: the next in 50 s, which would take the waits to 60 s, past the 50 s budget
    assert lim.wait("ding", limits) == pytest.approx(50.0) and lim.acquire("ding", limits) is False
    assert clock.slept == [10.0]
    assert describe(channel_limits("feishu", None)) == "100 a minute, 5 a second"
    assert channel_limits("wechat", 5) == ((5, 60.0),) and channel_limits("feishu", 0) == ((5, 1.0),)
    assert channel_limits("webhook", None) == ()


def queue_alerts(tmp_path: Path, n: int, channels: list[Any]) -> Any:
    from koubei.monitor.notify import enqueue
    from koubei.monitor.state import open_state

    base = message()
    msgs = [AlertMessage(f"KB-{i:04d}:e1:new", "new", {**base.facts, "issue_id": f"KB-{i:04d}"})
            for i in range(n)]
    state = open_state(tmp_path / "_monitor.duckdb")
    assert enqueue(state, msgs, {}, channels, 0.0) == n * len(channels)
    return state


def sent_ids(server: PlatformServer, platform: str) -> list[str]:
    import re

    return [re.findall(r"KB-\d{4}", str(r.body))[0] for r in server.received(platform)]


def test_alerts_past_a_robot_s_limit_wait_in_the_outbox_and_go_once_next_run(
        server: PlatformServer, tmp_path: Path) -> None:
    from koubei.monitor.config import AlertSettings
    from koubei.monitor.notify import queued, send_queued

    ding, hook = channel("dingtalk", env_for(server)), channel("webhook", env_for(server), rate_limit=10)
    state = queue_alerts(tmp_path, 25, [ding, hook])
    clock = FakeClock()
    no_wait = AlertSettings(retries=0, backoff_seconds=0, rate_wait_seconds=0)

    def run() -> list[Any]:
        return send_queued(state, queued(state), [ding, hook], settings=no_wait, lang=None, muted=set(),
                           sleep=clock.sleep, clock=clock)

    with state:
        first = run()
        assert [d.state for d in first if d.channel == "dingtalk"] == ["sent"] * 20 + ["deferred"] * 5
        assert [d.state for d in first if d.channel == "webhook"] == ["sent"] * 10 + ["deferred"] * 15
        errors = {d.error for d in first if d.state == "deferred"}
        assert errors == {"dingtalk: at its rate limit (20 a minute); kept, sent by the next run",
                          "webhook: at its rate limit (10 a minute); kept, sent by the next run"}
        assert sent_ids(server, "dingtalk") == [f"KB-{i:04d}" for i in range(20)]
        assert len(queued(state)) == 20 and clock.slept == []
        # a run in the same minute: the outbox's recent sends count, nothing more goes out
        assert {d.state for d in run()} == {"deferred"} and len(server.received("dingtalk")) == 20
        clock.now += 61  # the next run, a minute on: the rest, in order, each once
        run()
        assert sent_ids(server, "dingtalk") == [f"KB-{i:04d}" for i in range(25)]
        assert len(server.received("hook")) == 20 and len(queued(state)) == 5
        clock.now += 61
        run()
        keys = [r.headers["idempotency-key"] for r in server.received("hook")]
        assert keys == [f"KB-{i:04d}:e1:new" for i in range(25)] and queued(state) == []
        assert not [r.problems for r in server.received() if r.problems]


def test_a_run_may_wait_for_the_window_instead(server: PlatformServer, tmp_path: Path) -> None:
    from koubei.monitor.config import AlertSettings
    from koubei.monitor.notify import queued, send_queued

    wechat = channel("wechat", env_for(server))
    state = queue_alerts(tmp_path, 45, [wechat])
    clock = FakeClock()
    settings = AlertSettings(retries=0, backoff_seconds=0, rate_wait_seconds=100)
    with state:
        done = send_queued(state, queued(state), [wechat], settings=settings, lang=None, muted=set(),
                           sleep=clock.sleep, clock=clock)
    # 20 now, 20 after a minute's wait; the third minute would pass the 100 s budget: 5 kept
    assert [d.state for d in done] == ["sent"] * 40 + ["deferred"] * 5
    assert clock.slept == [60.0] and sent_ids(server, "wechat") == [f"KB-{i:04d}" for i in range(40)]
