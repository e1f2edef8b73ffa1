from src.orders import order_total
from src.report import summary


def test_total():
    assert order_total([1, 2, 3]) == 6
    assert summary([2, 2]) == "total: 4"
