def to_fahrenheit(celsius):
    return celsius * 9 / 5 + 32


def warmest(readings):
    best = None
    for name, value in readings.items():
        if best is None or value > readings[best]:
            best = name
    return best
