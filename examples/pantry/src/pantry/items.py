"""Quantities, ingredients and the stock kept in a pantry."""

import math

from pantry.units import convert, dimension_of, humanize, normalize_unit, to_base

_TOLERANCE = 1e-9


def parse_number(text):
    """Parse "2", "1.5" or "3/4"."""
    text = text.strip()
    if "/" in text:
        numerator, _, denominator = text.partition("/")
        if float(denominator) == 0:
            raise ValueError("zero denominator in %r" % text)
        return float(numerator) / float(denominator)
    return float(text)


def normalize_name(name):
    """Ingredient names compare case- and whitespace-insensitively."""
    return " ".join(name.lower().split())


class Quantity:
    """A non-negative amount with a unit."""

    def __init__(self, amount, unit="pc"):
        if amount < 0:
            raise ValueError("negative quantity: %r" % amount)
        self.amount = amount
        self.unit = normalize_unit(unit)

    @classmethod
    def parse(cls, text):
        """Parse "200 g", "2 cups" or a bare count such as "3"."""
        parts = text.split()
        if not 1 <= len(parts) <= 2:
            raise ValueError("cannot parse quantity: %r" % text)
        unit = parts[1] if len(parts) == 2 else "pc"
        return cls(parse_number(parts[0]), unit)

    @property
    def dimension(self):
        return dimension_of(self.unit)

    def to(self, unit):
        return Quantity(convert(self.amount, self.unit, unit), unit)

    def base(self):
        amount, unit = to_base(self.amount, self.unit)
        return Quantity(amount, unit)

    def humanized(self):
        amount, unit = humanize(self.amount, self.unit)
        return Quantity(amount, unit)

    def is_zero(self):
        return math.isclose(self.amount, 0.0, abs_tol=_TOLERANCE)

    def _other_amount(self, other):
        return convert(other.amount, other.unit, self.unit)

    def __add__(self, other):
        return Quantity(self.amount + self._other_amount(other), self.unit)

    def __sub__(self, other):
        difference = self.amount - self._other_amount(other)
        if -_TOLERANCE < difference < 0:
            difference = 0.0
        return Quantity(difference, self.unit)

    def __mul__(self, factor):
        return Quantity(self.amount * factor, self.unit)

    __rmul__ = __mul__

    def __eq__(self, other):
        if not isinstance(other, Quantity):
            return NotImplemented
        if self.dimension != other.dimension:
            return False
        return math.isclose(self.amount, self._other_amount(other),
                            rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)

    def __lt__(self, other):
        return self != other and self.amount < self._other_amount(other)

    def __le__(self, other):
        return self == other or self.amount < self._other_amount(other)

    def __gt__(self, other):
        return not self <= other

    def __ge__(self, other):
        return not self < other

    def __repr__(self):
        return "Quantity(%r, %r)" % (self.amount, self.unit)


class Ingredient:
    def __init__(self, name, quantity):
        if not name.strip():
            raise ValueError("ingredient needs a name")
        self.name = normalize_name(name)
        self.quantity = quantity

    def scaled(self, factor):
        return Ingredient(self.name, self.quantity * factor)

    def __eq__(self, other):
        if not isinstance(other, Ingredient):
            return NotImplemented
        return self.name == other.name and self.quantity == other.quantity

    def __repr__(self):
        return "Ingredient(%r, %r)" % (self.name, self.quantity)


class InsufficientStock(Exception):
    def __init__(self, name, wanted, available):
        super().__init__("not enough %s: wanted %r, have %r" % (name, wanted, available))
        self.name = name
        self.wanted = wanted
        self.available = available


class Pantry:
    """What is in stock, keyed by normalized ingredient name."""

    def __init__(self):
        self._stock = {}

    def add(self, name, quantity):
        key = normalize_name(name)
        current = self._stock.get(key)
        self._stock[key] = quantity if current is None else current + quantity

    def amount_of(self, name):
        return self._stock.get(normalize_name(name))

    def has(self, name, quantity):
        current = self.amount_of(name)
        return current is not None and quantity <= current

    def take(self, name, quantity):
        key = normalize_name(name)
        current = self._stock.get(key)
        if current is None or not quantity <= current:
            raise InsufficientStock(key, quantity, current)
        remaining = current - quantity
        if remaining.is_zero():
            del self._stock[key]
        else:
            self._stock[key] = remaining
        return remaining

    def names(self):
        return sorted(self._stock)

    def items(self):
        return sorted(self._stock.items())

    def __contains__(self, name):
        return normalize_name(name) in self._stock

    def __len__(self):
        return len(self._stock)
