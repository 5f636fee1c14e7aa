"""``koubei init``: a commented monitor config to start from."""

from __future__ import annotations

from pathlib import Path

from koubei.errors import OutputError
from koubei.io.writers import atomic_write, check_target

TEMPLATE = '''\
# koubei monitor config (TOML). `koubei run THIS_FILE` runs one cycle:
# new reviews in the feed -> scored -> history -> emerging issues -> issue list, report -> alerts.
# Paths are relative to this file's folder. Secrets are never written here: each *_env entry
# names the environment variable that holds the secret or webhook address.

[input]
# A folder (every dump in it: .csv .tsv .jsonl .json .xlsx .parquet), a file, a glob such as
# "exports/*.xlsx", or a list of those. Files are read in name order; only rows the history
# does not hold yet are scored, so a dump re-exported with old and new rows is fine.
path = "feed"
# format = "csv"             # when the extension does not tell
# encoding = "gb18030"       # default: detected
# sheet = "评论"             # Excel sheet name or 0-based index
tz = "Asia/Shanghai"         # time zone of times without one
settle_seconds = 60          # leave files changed less than this ago for the next run (being copied)

[input.columns]
# Dump column names; leave one out to detect it from common headers (评论内容, 评论时间, 商品...).
# Map the review id column when the dump has one: it is what tells an old review from a new one.
# text = "评论内容"
# id = "评论ID"
# time = "评论时间"
# product = "商品"
# supplier = "供应商"
# batch = "批次"
# rating = "评分"
# channel = "渠道"

[model]
# path = "models/my-model"   # a bundle from `koubei train`; default: the bundled model
workers = 0                  # scoring processes; 0 = one per CPU core
batch_size = 2000
chunksize = 50000            # rows read and scored at a time; also the most rows per history part

[detect]
freq = "W"                   # window: D day, W week (Monday start), M month
by = ["supplier", "product"] # grouping columns, coarse to fine
trace = []                   # more columns to trace issues to, e.g. ["region", "shop"]
last = 2                     # windows evaluated each run: the current one and the one before
novel = true                 # also look for new kinds of complaint (clusters no topic covers)
resolve_after = 2            # clean windows after which an issue is resolved
# min_count = 5              # fewest complaints in a window to flag
# max_q = 0.02               # false-discovery rate
# baseline_windows = 8       # past windows in the baseline
# engine = "dask"            # count the history on Dask (pip install "koubei[dask]")
# scheduler = "tcp://host:8786"

[history]
# The scored reviews: a folder of Parquet parts (what `koubei score --engine dask` writes), read by
# `koubei aggregate/emerging/report` and Dask. The monitor's manifest and alert queue live inside
# it, in _monitor.duckdb.
path = "koubei-history"
# Each run with new reviews adds a part; when there are more than compact_at parts (0: never),
# consecutive parts are merged into parts of up to compact_rows rows (`koubei run --compact`
# merges now). The rows and their order stay as they were; a run killed mid-merge loses nothing.
compact_at = 64
compact_rows = 200000

[store]
path = "koubei.duckdb"       # the issue history: `koubei issues list --store koubei.duckdb`

[outputs]
# Rewritten after each run that found new reviews.
issues = ["issues.xlsx"]     # .xlsx .csv .md .json
report = "report.html"
# report_every = "1d"        # write the report at most this often (it reads the whole history
#                            # once); default: every run with new reviews
lang = "zh"                  # zh or en
# teams = "teams.yaml"       # topic -> owner team (default: corpora/teams.yaml)

[alerts]
# One message per new issue, and per ongoing issue whose severity rose by escalate_by; muted
# issues never. A send that fails is retried (retries, backoff_seconds doubling) and, if it
# still fails, kept and sent by the next run.
lang = "zh"                  # zh or en (`koubei run --lang en` overrides)
min_severity = 0             # 0-100
escalate_by = 10
retries = 3
backoff_seconds = 2
timeout_seconds = 10
# Robots take so many messages a minute (企业微信, 钉钉: 20; 飞书: 100, and 5 a second; Slack: 1 a
# second). A run with more waits for the window, at most rate_wait_seconds in all; the rest stay
# queued, in order, and the next run sends them (never lost, never sent twice).
rate_wait_seconds = 120
# report_url = "https://intranet.example.com/koubei/report.html"   # shown instead of the report's path

# Channels: uncomment the ones you use. A table named after a type needs no `type`; give
# other names a type: [alerts.qa-team] type = "dingtalk". Every channel takes lang, min_severity
# and rate_limit (messages a minute; default: the platform's limit above; 0: none).

# [alerts.wechat]            # 企业微信群机器人
# webhook_env = "KOUBEI_WECHAT_WEBHOOK"        # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...

# [alerts.dingtalk]          # 钉钉自定义机器人
# webhook_env = "KOUBEI_DINGTALK_WEBHOOK"      # https://oapi.dingtalk.com/robot/send?access_token=...
# secret_env = "KOUBEI_DINGTALK_SECRET"        # 加签 secret (SEC...), if the robot uses it

# [alerts.feishu]            # 飞书 / Lark custom bot
# webhook_env = "KOUBEI_FEISHU_WEBHOOK"        # https://open.feishu.cn/open-apis/bot/v2/hook/...
# secret_env = "KOUBEI_FEISHU_SECRET"          # 签名校验 secret, if the bot uses it

# [alerts.slack]
# webhook_env = "KOUBEI_SLACK_WEBHOOK"         # https://hooks.slack.com/services/...
# lang = "en"

# [alerts.webhook]           # any JSON endpoint (see the docs for the body and signature)
# url_env = "KOUBEI_WEBHOOK_URL"
# secret_env = "KOUBEI_WEBHOOK_SECRET"         # optional: X-Koubei-Signature HMAC-SHA256
# token_env = "KOUBEI_WEBHOOK_TOKEN"           # optional: Authorization: Bearer

# [alerts.email]
# host = "smtp.example.com"
# port = 587
# security = "starttls"      # starttls (587), ssl (465), or none for a trusted relay
# username_env = "KOUBEI_SMTP_USER"
# password_env = "KOUBEI_SMTP_PASSWORD"
# from = "koubei@example.com"
# to = ["qa@example.com"]
# ca_file = "company-ca.pem" # a company CA bundle, if the server's certificate needs it
'''


def write_template(path: str | Path, *, force: bool = False) -> Path:
    """Write the commented config template to ``path`` (atomically).

    Raises:
        OutputError: ``path`` exists (without ``force``), or its folder is missing or not writable.
    """
    target = Path(path)
    if target.exists() and not force:
        raise OutputError(f"{target}: exists; pass --force to replace it")
    check_target(target, True)
    atomic_write(target, _write)
    return target


def _write(tmp: Path) -> None:
    tmp.write_text(TEMPLATE, encoding="utf-8")
