from src.money import format_cents


def test_format_cents():
    assert format_cents(1234) == "$12.34"
    assert format_cents(1230) == "$12.30"
    assert format_cents(5) == "$0.05"
