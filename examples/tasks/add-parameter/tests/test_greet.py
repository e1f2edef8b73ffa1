from src.greet import greet


def test_default():
    assert greet("Bo") == "Hello, Bo!"


def test_punctuation():
    assert greet("Bo", punctuation="?") == "Hello, Bo?"
