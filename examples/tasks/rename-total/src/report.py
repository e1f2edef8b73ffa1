from src.orders import calc_total


def summary(prices):
    return "total: %d" % calc_total(prices)
