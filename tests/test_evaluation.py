

def test_taste_direction_misses_say_why_each_review_failed() -> None:
    from koubei.metrics import taste_direction_accuracy

    gold = [{"taste": "neg"}, {"taste": "neg"}, {"taste": "neg"}, {"taste": "neg"}, {"taste": "pos"}]
    dirs = [["too_bland"], ["too_salty"], ["too_oily"], ["too_spicy"], []]
    pred_topics = [{"taste": "neg"}, {}, {"taste": "pos"}, {"taste": "neg"}, {"taste": "pos"}]
    pred_dirs = [["too_bland"], [], [], ["too_sweet"], []]
    m = taste_direction_accuracy(gold, dirs, pred_dirs, pred_topics=pred_topics)
    assert m["accuracy"] == 0.25 and m["n"] == 4
    assert m["misses"] == {"not_detected": 1, "not_negative": 1, "wrong_direction": 1}
    assert "misses" not in taste_direction_accuracy(gold, dirs, pred_dirs)


def test_taste_direction_strict_scores_count_a_direction_too_many() -> None:
    from koubei.metrics import taste_direction_accuracy

    gold = [{"taste": "neg"}] * 3
    dirs = [["too_bland"], ["too_salty"], ["bad_general"]]
    every = [["too_bland", "too_salty", "bad_general"]] * 3  # overlap alone would call this perfect
    m = taste_direction_accuracy(gold, dirs, every)
    assert m["accuracy"] == 1.0 and m["exact"] == 0.0
    assert m["directions"] == {"precision": 0.3333, "recall": 1.0, "f1": 0.5}
    m = taste_direction_accuracy(gold, dirs, [["too_bland"], [], ["bad_general", "too_oily"]])
    assert m["exact"] == 0.3333 and m["directions"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
