from src.app import header


def test_header():
    assert header("report") == "== Report =="
