from src.mathx import mean


def test_mean_keeps_fractions():
    assert mean([1, 2]) == 1.5


def test_mean_of_one():
    assert mean([4]) == 4
