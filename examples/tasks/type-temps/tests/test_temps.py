from src.temps import to_fahrenheit, warmest


def test_temps():
    assert to_fahrenheit(100) == 212
    assert warmest({"a": 1.0, "b": 3.0}) == "b"
    assert warmest({}) is None
