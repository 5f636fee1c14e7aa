"""The monitor config: the template, and every bad entry refused with a message naming file, table and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from koubei.cli import app
from koubei.errors import ConfigError
from koubei.monitor import load_config
from koubei.monitor.template import TEMPLATE

runner = CliRunner()
ENV = {"DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=tok-123",
       "DINGTALK_SECRET": "SEC9f8e7d6c5b4a39281706f5e4d3c2b1a0",
       "SMTP_USER": "bot", "SMTP_PASSWORD": "pw-77", "NOT_A_URL": "oapi.dingtalk.com/robot",
       "FILE_URL": "file:///etc/passwd"}
BASE = """
[input]
path = "feed"
[input.columns]
text = "评论内容"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name the config as given: monitor.toml


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "monitor.toml").write_text(text, encoding="utf-8")
    return load_config("monitor.toml", env=ENV if env is None else env)


def test_the_template_loads_with_its_defaults(tmp_path: Path) -> None:
    cfg = load(tmp_path, TEMPLATE, env={})
    assert cfg.input.paths == ("feed",) and cfg.input.tz == "Asia/Shanghai"
    assert cfg.detect.freq == "W" and cfg.detect.by == ("supplier", "product") and cfg.detect.last == 2
    assert cfg.history == tmp_path / "koubei-history"
    assert cfg.state == tmp_path / "koubei-history/_monitor.duckdb"
    assert cfg.issues == (tmp_path / "issues.xlsx",) and cfg.report == tmp_path / "report.html"
    assert cfg.channels == () and cfg.alerts.escalate_by == 10


def test_every_channel_of_the_template_loads_once_uncommented(tmp_path: Path) -> None:
    text = TEMPLATE.replace("# [alerts.", "[alerts.")
    for key in ("webhook_env", "secret_env", "url_env", "token_env", "lang", "host", "port", "security",
                "username_env", "password_env", "from", "to"):
        text = text.replace(f"# {key} =", f"{key} =")
    (tmp_path / "company-ca.pem").write_text("x")
    text = text.replace('# ca_file = "company-ca.pem"', 'ca_file = "company-ca.pem"')
    env = {k: "https://example.com/hook?k=1" for k in (
        "KOUBEI_WECHAT_WEBHOOK", "KOUBEI_DINGTALK_WEBHOOK", "KOUBEI_FEISHU_WEBHOOK", "KOUBEI_SLACK_WEBHOOK",
        "KOUBEI_WEBHOOK_URL")}
    env |= {k: "s3cret" for k in ("KOUBEI_DINGTALK_SECRET", "KOUBEI_FEISHU_SECRET", "KOUBEI_WEBHOOK_SECRET",
                                  "KOUBEI_WEBHOOK_TOKEN", "KOUBEI_SMTP_USER", "KOUBEI_SMTP_PASSWORD")}
    cfg = load(tmp_path, text, env=env)
    assert [(c.name, c.type) for c in cfg.channels] == [
        ("wechat", "wechat"), ("dingtalk", "dingtalk"), ("feishu", "feishu"), ("slack", "slack"),
        ("webhook", "webhook"), ("email", "email")]
    assert [c.target for c in cfg.channels][:2] == ["https://example.com/***", "https://example.com/***"]
    assert "s3cret" not in repr(cfg)


def test_secret_env_names_the_missing_variable(tmp_path: Path) -> None:
    text = BASE + '[alerts.dingtalk]\nwebhook_env = "DINGTALK_WEBHOOK"\nsecret_env = "DINGTALK_SECRET"\n'
    env = {k: v for k, v in ENV.items() if k != "DINGTALK_SECRET"}
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text, env)
    assert str(e.value) == ("monitor.toml: [alerts.dingtalk] secret_env: "
                            "environment variable DINGTALK_SECRET is not set")


DING = '[alerts.dingtalk]\nwebhook_env = "DINGTALK_WEBHOOK"\n'
EMAIL = ('[alerts.email]\nhost = "smtp.example.com"\nfrom = "koubei@example.com"\nto = ["qa@example.com"]\n'
         'username_env = "SMTP_USER"\npassword_env = "SMTP_PASSWORD"\n')


@pytest.mark.parametrize(("text", "match"), [
    ("x = [", r"^monitor\.toml: not valid TOML \("),
    ('[output]\nlang = "zh"', r"^monitor\.toml: output: unknown entry; did you mean outputs\?"),
    ('[outputs]\nlang = "zh"', r"^monitor\.toml: no \[input\] table"),
    ('[input]\nformat = "csv"', r"\[input\] path: is required"),
    ("[input]\npath = 3", r"\[input\] path: must be a list of non-empty strings, not int 3"),
    ('[input]\npth = "feed"\npath = "feed"', r"\[input\] pth: unknown entry; did you mean path\?"),
    ('[input]\npath = "feed"\n[input.columns]\ntxt = "评论"',
     r"\[input\.columns\] txt: unknown entry; did you mean text"),
    ('[input]\npath = "feed"\ntz = "Mars/Olympus"', r"\[input\] tz: unknown time zone 'Mars/Olympus'"),
    ('[input]\npath = "feed"\nsettle_seconds = -1', r"\[input\] settle_seconds: must be at least 0"),
    ('[input]\npath = "feed"\nquoting = "double"', r"\[input\] quoting: must be one of 'standard', 'none'"),
    ('[input]\npath = "feed"\nsheet = true', r"\[input\] sheet: must be a sheet name or a 0-based index"),
    (BASE + "[model]\nworkers = -1", r"\[model\] workers: must be at least 0, not -1"),
    (BASE + '[model]\nbatch_size = "big"', r"\[model\] batch_size: must be a whole number, not 'big'"),
    (BASE + '[detect]\nfreq = "Y"', r"\[detect\] freq: must be one of 'D', 'W', 'M', not 'Y'"),
    (BASE + "[detect]\nlast = 0", r"\[detect\] last: must be at least 1"),
    (BASE + "[detect]\nmax_q = 2", r"\[detect\] max_q: must be between 0 and 1, not 2"),
    (BASE + "[detect]\nnovel = 1", r"\[detect\] novel: must be true or false"),
    (BASE + '[detect]\nscheduler = "tcp://h:8786"', r'\[detect\] scheduler: needs engine = "dask"'),
    (BASE + '[outputs]\nissues = ["issues.pdf"]',
     r"\[outputs\] issues: issues\.pdf: the issue list is written as \.xlsx, \.csv, \.md, \.json"),
    (BASE + '[outputs]\nlang = "fr"', r"\[outputs\] lang: must be one of 'zh', 'en', not 'fr'"),
    (BASE + '[outputs]\nreport_every = "soon"',
     r"\[outputs\] report_every: 'soon' is not a duration such as 30m"),
    (BASE + "[alerts]\nescalate_by = 200", r"\[alerts\] escalate_by: must be between 0 and 100, not 200"),
    (BASE + "[alerts]\nretries = -1", r"\[alerts\] retries: must be at least 0"),
    (BASE + "[alerts]\nrate_wait_seconds = -5", r"\[alerts\] rate_wait_seconds: must be between 0 and 3600"),
    (BASE + DING + "rate_limit = -1", r"\[alerts\.dingtalk\] rate_limit: must be at least 0, not -1"),
    (BASE + DING + 'rate_limit = "20/min"', r"\[alerts\.dingtalk\] rate_limit: must be a whole number"),
    (BASE + "[history]\ncompact_at = -1", r"\[history\] compact_at: must be at least 0"),
    (BASE + "[history]\ncompact_rows = 10", r"\[history\] compact_rows: must be at least 1000, not 10"),
    (BASE + '[history]\ncompact_rows = "many"', r"\[history\] compact_rows: must be a whole number"),
    (BASE + "[history]\ncompact_every = 3", r"\[history\] compact_every: unknown entry"),
    (BASE + '[alerts]\nreport_url = "ftp://x/r.html"',
     r"\[alerts\] report_url: must be an http\(s\) address"),
    (BASE + "[alerts.dingtalk]\nlang = 'zh'", r"\[alerts\.dingtalk\] webhook_env: is required"),
    (BASE + '[alerts.dingtalk]\nwebhook_env = "NOT_A_URL"',
     r"\[alerts\.dingtalk\] webhook_env: environment variable NOT_A_URL is not an http\(s\) URL"),
    (BASE + '[alerts.slack]\nwebhook_env = "FILE_URL"',
     r"\[alerts\.slack\] webhook_env: environment variable FILE_URL is not an http\(s\) URL"),
    (BASE + DING + 'webhok_env = "X"',
     r"\[alerts\.dingtalk\] webhok_env: unknown entry; did you mean webhook_env"),
    (BASE + DING + 'lang = "de"', r"\[alerts\.dingtalk\] lang: must be one of 'zh', 'en'"),
    (BASE + DING + "min_severity = 101", r"\[alerts\.dingtalk\] min_severity: must be between 0 and 100"),
    (BASE + '[alerts.pager]\nwebhook_env = "DINGTALK_WEBHOOK"',
     r"\[alerts\.pager\] type: is required \(one of wechat, dingtalk, feishu, slack, webhook, email\)"),
    (BASE + '[alerts.qa]\ntype = "teams"', r"\[alerts\.qa\] type: must be one of 'wechat', 'dingtalk'"),
    (BASE + '[alerts.hook]\ntype = "webhook"\nwebhook_env = "DINGTALK_WEBHOOK"',
     r"\[alerts\.hook\] url_env: is required"),
    (BASE + EMAIL.replace('host = "smtp.example.com"\n', ""), r"\[alerts\.email\] host: is required"),
    (BASE + EMAIL.replace('["qa@example.com"]', '["qa.example.com"]'),
     r"\[alerts\.email\] to: 'qa\.example\.com' is not an e-mail address"),
    (BASE + EMAIL + 'security = "none"', r'\[alerts\.email\] security: "none" sends the password in clear'),
    (BASE + EMAIL + "port = 70000", r"\[alerts\.email\] port: must be at most 65535"),
    (BASE + EMAIL + 'ca_file = "no-such-ca.pem"', r"\[alerts\.email\] ca_file: no file .*no-such-ca\.pem"),
    (BASE + EMAIL.replace('password_env = "SMTP_PASSWORD"\n', ""),
     r"\[alerts\.email\] password_env: is required with username_env"),
])
def test_a_bad_entry_is_refused_naming_it(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load(tmp_path, text)


@pytest.mark.parametrize(("entry", "secret"), [
    ('webhook = "https://oapi.dingtalk.com/robot/send?access_token=tok-999"', "tok-999"),
    ('secret = "SECabc"', "SECabc"),
    ('secret_env = "SEC0123456789abcdef0123456789abcdef"', "SEC0123456789abcdef0123456789abcdef"),
    ('secret_env = "https://oapi.dingtalk.com/robot/send?access_token=tok-888"', "tok-888"),
])
def test_a_secret_written_into_the_file_is_refused_without_echoing_it(tmp_path: Path, entry: str,
                                                                    secret: str) -> None:
    with pytest.raises(ConfigError, match=r"\[alerts\.dingtalk\] (webhook|secret|secret_env): ") as e:
        load(tmp_path, BASE + DING + entry)
    assert secret not in str(e.value)
    assert "environment variable" in str(e.value)


def test_a_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such config file; write one with `koubei init .*nope\.toml`"):
        load_config("nope.toml")


def test_init_writes_the_template_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "monitor.toml"
    res = runner.invoke(app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    assert target.read_text(encoding="utf-8") == TEMPLATE and "koubei run" in res.output
    target.write_text("# mine\n", encoding="utf-8")
    res = runner.invoke(app, ["init", str(target)])
    assert res.exit_code == 3 and "exists; pass --force to replace it" in res.output
    assert target.read_text(encoding="utf-8") == "# mine\n"
    assert runner.invoke(app, ["init", str(target), "--force"]).exit_code == 0
    assert target.read_text(encoding="utf-8") == TEMPLATE


def test_run_with_a_bad_config_is_one_error_line_and_exit_9(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(BASE + '[detect]\nfreq = "Y"\n', encoding="utf-8")
    res = runner.invoke(app, ["run", "monitor.toml"])
    assert res.exit_code == 9
    assert res.output.strip() == ("error: monitor.toml: [detect] freq: must be one of 'D', 'W', 'M', not 'Y'")
