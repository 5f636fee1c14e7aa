"""Dump every intermediate of scoring for a fixed set of texts, or compare two dumps exactly.

    python scripts/check_identical.py dump OUT_DIR [--data-dir DIR] [--per-source 6000]
    python scripts/check_identical.py compare DIR_A DIR_B

A speed change must not move a single output. ``dump`` runs the bundled model
over about 30k distinct texts (a seeded sample of each sentiment corpus, the
hotpot and cosmetics reviews, every gold text, and a few hand-written edge
cases: HTML, URLs, traditional and full-width characters, emoji, a text over
the models' character limit) and writes, each as its own file:

- ``docs.jsonl``: each prepared doc (norm, words, clauses with their norm and words);
- ``tfidf_docs.npz`` / ``tfidf_clauses.npz``: the embedder's TF-IDF rows of docs and clauses;
- ``topic_side.npz``: the topic detector's dense side columns (word vectors, cue matrix) of docs
  and clauses, and the cue matrix alone;
- ``evidence.jsonl``: the lexicon evidence of each doc, of each clause, and of each doc's
  clauses read together (``evidence_of``), and the ``features`` rows;
- ``predictions.jsonl``: ``load_model().predict`` of every text;
- ``score.jsonl``: ``load_model().score`` (ids, status, flags and every output column);
- ``score_file.jsonl``: the streamed ``score_file`` output (2 workers, small chunks) read back.

Identical docs and features mean identical training too, so ``scripts/evaluate.py``
figures cannot move. ``compare`` prints one line per file: identical, or the first
row that differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from koubei.corpora import SENTIMENT_FILES, UNLABELLED_FILES, find_corpora

EDGE_CASES = [
    "", "   ", "。。。", "111", "😊😊", "<p>味道不错</p><br>就是有点咸&amp;贵",
    "送餐很慢 http://t.cn/abc123 @美团外卖 #吐槽# [怒]", "味道很好，環境不錯，服務態度好",
    "ＡＢＣ１２３！！太好吃了～～～", "好好好好好好吃！！！！！！", "iPhone12 电池 1.5 天 o_o 很耐用",
    "没有以前好吃了，不如上次", "一点都没受潮，包装完好", "  多  个   空格  \t 制表符 ",
    "上菜太慢，服务员态度差", "酸奶不甜，适合控糖", "不辣不咸刚刚好", "味道在线yyds绝绝子",
    "太淡了" * 2000,  # over MAX_REVIEW_CHARS: truncated
]


def sample_texts(data: Path, per_source: int, seed: int = 0) -> list[str]:
    """Distinct texts: a seeded sample of each corpus, every gold text, the edge cases."""
    parts: list[str] = []
    files = {**{f: "review" for f in SENTIMENT_FILES.values()}, **UNLABELLED_FILES}
    for rel, col in files.items():
        s = pd.read_csv(data / rel, usecols=[col], dtype={col: str})[col].dropna().drop_duplicates()
        parts.extend(s.sample(n=min(per_source, len(s)), random_state=seed).tolist())
    with open(data / "labels" / "gold_topics_train.jsonl", encoding="utf-8") as f:
        parts.extend(json.loads(line)["text"] for line in f if line.strip())
    return list(dict.fromkeys([*parts, *EDGE_CASES]))


def _doc(d: Any) -> dict[str, Any]:
    return {"norm": d.norm, "words": d.words,
            "clauses": [{"norm": c.norm, "words": c.words} for c in d.clauses]}


def _ev(e: Any) -> dict[str, Any]:
    return dataclasses.asdict(e)


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def _save_csr(path: Path, **mats: Any) -> None:
    arrays = {}
    for name, m in mats.items():
        m = sparse.csr_matrix(m)
        arrays.update({f"{name}_data": m.data, f"{name}_indices": m.indices,
                       f"{name}_indptr": m.indptr, f"{name}_shape": np.asarray(m.shape)})
    np.savez_compressed(path, **arrays)


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None)
    return [{k: (str(v) if v is not None else None) for k, v in r.items()} for r in out.to_dict("records")]


def dump(out: Path, data: Path, per_source: int) -> int:
    from koubei import load_model
    from koubei.scoring import score_file
    from koubei.text.docs import prepare_many

    out.mkdir(parents=True, exist_ok=True)
    texts = sample_texts(data, per_source)
    model = load_model()
    c = model.components
    docs = prepare_many(texts, model.segmenter)
    _write_jsonl(out / "docs.jsonl", map(_doc, docs))
    enc = c.encode(docs)
    clauses, doc_norms, clause_norms = enc.clauses, enc.texts, enc.clause_texts
    _save_csr(out / "tfidf_docs.npz", X=enc.X)
    _save_csr(out / "tfidf_clauses.npz", Xc=enc.Xc)
    np.savez_compressed(out / "topic_side.npz", docs=enc.features.dense, clauses=enc.clause_features.dense,
                        cues_docs=c.cues.matrix(doc_norms).toarray(),
                        cues_clauses=c.cues.matrix(clause_norms).toarray())
    lex = c.lexicon
    assert lex is not None, "the bundled model has a lexicon"
    # the whole batch at once where the lexicon reads batches (evidence_many), else text by text
    many = getattr(lex, "evidence_many", lambda texts: [lex.evidence(t) for t in texts])
    doc_ev, clause_ev = iter(many(doc_norms)), iter(many([k.norm for d in docs for k in d.clauses]))
    features = iter(lex.features(doc_norms).tolist())
    _write_jsonl(out / "evidence.jsonl", (
        {"doc": _ev(next(doc_ev)), "clauses": [_ev(next(clause_ev)) for _ in d.clauses],
         "of": _ev(lex.evidence_of([k.norm for k in d.clauses])), "features": [next(features)]}
        for d in docs))
    _write_jsonl(out / "predictions.jsonl", (dataclasses.asdict(p) for p in model.predict(texts)))
    _write_jsonl(out / "score.jsonl", _frame_rows(model.score(texts)))
    with tempfile.TemporaryDirectory() as tmp:
        dump_csv = Path(tmp) / "texts.csv"
        pd.DataFrame({"评论内容": texts}).to_csv(dump_csv, index=False)
        target = Path(tmp) / "scored.parquet"
        score_file(dump_csv, target, model=model, workers=2, chunksize=7_000)
        _write_jsonl(out / "score_file.jsonl", _frame_rows(pd.read_parquet(target)))
    print(f"{len(texts)} texts, {len(clauses)} clauses dumped to {out}")
    return 0


def _digest(path: Path) -> str:
    if path.suffix == ".npz":  # compare the arrays, not the zip (whose bytes hold timestamps)
        with np.load(path) as z:
            h = hashlib.sha256()
            for k in sorted(z.files):
                a = z[k]
                h.update(k.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
            return h.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _first_difference(a: Path, b: Path) -> str:
    if a.suffix == ".npz":
        with np.load(a) as za, np.load(b) as zb:
            for k in sorted(set(za.files) | set(zb.files)):
                if k not in za.files or k not in zb.files:
                    return f"array {k} in one dump only"
                if za[k].dtype != zb[k].dtype or not np.array_equal(za[k], zb[k]):
                    return f"array {k} differs ({za[k].dtype} {za[k].shape} vs {zb[k].dtype} {zb[k].shape})"
        return "arrays equal, digests differ"
    la = a.read_text(encoding="utf-8").splitlines()
    lb = b.read_text(encoding="utf-8").splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"row {i} differs:\n    A {x[:300]}\n    B {y[:300]}"
    return f"{len(la)} vs {len(lb)} rows"


def compare(a: Path, b: Path) -> int:
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    bad = 0
    for name in names:
        pa, pb = a / name, b / name
        if not (pa.exists() and pb.exists()):
            print(f"{name}: in one dump only")
            bad += 1
            continue
        da, db = _digest(pa), _digest(pb)
        if da == db:
            rows = "" if pa.suffix == ".npz" else f", {sum(1 for _ in pa.open(encoding='utf-8'))} rows"
            print(f"{name}: identical (sha256 {da[:16]}{rows})")
        else:
            bad += 1
            print(f"{name}: DIFFERS, {_first_difference(pa, pb)}")
    print("all identical" if not bad else f"{bad} file(s) differ")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--data-dir")
    d.add_argument("--per-source", type=int, default=6000, help="texts sampled from each corpus")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        return dump(Path(args.out), find_corpora(args.data_dir), args.per_source)
    return compare(Path(args.a), Path(args.b))


if __name__ == "__main__":
    sys.exit(main())
