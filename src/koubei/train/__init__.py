"""Training on your own labels, evaluating a bundle, choosing what to label next.

    records, report = read_labels("labelled.xlsx", taxonomy)
    result = train_bundle(records, taxonomy=taxonomy, base="models/default", output="models/snacks-v2")
    metrics = evaluate_bundle("models/snacks-v2", "holdout.csv")
    picks = suggest(read_reviews("unlabelled.csv"), load_model("models/snacks-v2"), n=200)
"""

from koubei.train.evaluate import evaluate_bundle
from koubei.train.fit import TrainResult, train_bundle
from koubei.train.label_file import LabelReport
from koubei.train.labels import read_labels
from koubei.train.suggest import SuggestResult, suggest, suggest_file

__all__ = ["LabelReport", "SuggestResult", "TrainResult", "evaluate_bundle", "read_labels", "suggest",
           "suggest_file", "train_bundle"]
