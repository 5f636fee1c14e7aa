

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
