from src.stats import largest


def test_largest():
    assert largest([3, 9, 2]) == 9


def test_empty():
    assert largest([]) is None
