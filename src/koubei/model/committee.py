"""A committee of topic detectors that ``koubei suggest`` asks where they disagree.

``koubei train`` cross-validates k folds; each fold fits a topic detector on
the other folds' reviews. Those k detectors are kept in the bundle as a
committee (query by committee): each saw a different part of the labels, so
where they give a review's topics different probabilities, a label for that
review tells the next model something the labels so far do not. Each member
carries the bundle's own per-topic Platt scaling and thresholds (the
calibration fitted on all out-of-fold logits), so their probabilities are on
the scale of the final model's. The members share the bundle's embedder and
taxonomy cues; only the topic detector differs.

Files (optional parts of a bundle; a model without them has no committee)::

    committee.json    {"members": [detector parameters and fitted values, ...]}
    committee.npz     the members' arrays, ``m{i}.{name}``

Both are listed with their sha256 in ``manifest.json`` ``files`` (checked on
load like every other part) and described under ``manifest["committee"]``.
Loading reads them only when asked (:func:`load_committee`), so scoring
never pays for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from koubei.classify.topics import TopicDetector
from koubei.errors import IncompatibleModelError
from koubei.model.npz import NPZ_ERRORS, load_npz
from koubei.model.predict import Components
from koubei.text.docs import Doc

COMMITTEE_JSON = "committee.json"
COMMITTEE_NPZ = "committee.npz"
COMMITTEE_FILES = (COMMITTEE_JSON, COMMITTEE_NPZ)
#: what reading a damaged, cut-short or edited committee raises
_READ_ERRORS: tuple[type[Exception], ...] = (*NPZ_ERRORS, TypeError)


@dataclass
class Committee:
    """Topic detectors fitted on different parts of a model's labels.

    Attributes:
        members: fitted detectors with the same inputs as the model's own.
        source: how they were made (for the manifest and the reasons of ``suggest``).
    """

    members: list[TopicDetector]
    source: str = "cross-validation folds of koubei train"

    def __len__(self) -> int:
        return len(self.members)

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the two files into ``folder``; returns the manifest's ``committee`` entry."""
        metas, arrays = [], {}
        for i, m in enumerate(self.members):
            meta, arr = m.to_state()
            metas.append(meta)
            arrays.update({f"m{i}.{k}": v for k, v in arr.items()})
        (folder / COMMITTEE_JSON).write_text(json.dumps({"members": metas}, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
        np.savez_compressed(folder / COMMITTEE_NPZ, **arrays)  # type: ignore[arg-type]
        return {"members": len(self.members), "source": self.source, "files": list(COMMITTEE_FILES)}

    def topic_proba(self, c: Components, docs: list[Doc]) -> np.ndarray:
        """Each member's topic probabilities of ``docs`` (members × reviews × topics).

        The model's own topic pass (``predict_docs``), with the member in place
        of the model's detector; the batch is encoded once for all members.
        """
        T = len(c.taxonomy.topics)
        if not docs:
            return np.zeros((len(self.members), 0, T))
        enc = c.encode(docs)
        out = np.empty((len(self.members), len(docs), T))
        for k, m in enumerate(self.members):
            out[k] = enc.topic_pass(m).proba
        return out


def disagreement(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per review: the sum over topics of the members' standard deviation of P(topic),
    and the topic whose deviation is largest (``P``: members × reviews × topics)."""
    sd = P.std(axis=0)
    return sd.sum(axis=1), (sd.argmax(axis=1) if sd.shape[1] else np.zeros(len(sd), dtype=int))


def load_committee(folder: Path, manifest: dict[str, Any], width: int) -> Committee | None:
    """The bundle's committee, or None when it has none (hashes were checked with the manifest).

    ``width``: the number of columns the model's own detector reads.

    Raises:
        IncompatibleModelError: the committee files are damaged or do not fit the model.
    """
    entry = manifest.get("committee")
    if not entry:
        return None
    try:
        metas = json.loads((folder / COMMITTEE_JSON).read_text(encoding="utf-8"))["members"]
        arrays = load_npz(folder / COMMITTEE_NPZ)
        members = []
        for i, meta in enumerate(metas):
            prefix = f"m{i}."
            members.append(TopicDetector.from_state(
                meta, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}))
    except _READ_ERRORS as e:
        raise IncompatibleModelError(f"{folder}: the committee ({', '.join(COMMITTEE_FILES)}) cannot be "
                                     f"read ({e}); retrain the model") from e
    bad = [i for i, m in enumerate(members) if m.n_features_in_ != width]
    if bad or len(members) < 2:
        raise IncompatibleModelError(f"{folder}: the committee does not fit the model ({len(members)} members"
                                     f", {len(bad)} of another width); retrain the model")
    return Committee(members, str(entry.get("source", Committee.source)))

