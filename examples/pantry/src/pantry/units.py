"""Units of measure.

Every unit belongs to one dimension (mass, volume or count) and has a factor
to that dimension's base unit: grams, millilitres and pieces.
"""


class UnitError(ValueError):
    """An unknown unit, or a conversion between two dimensions."""


MASS = "mass"
VOLUME = "volume"
COUNT = "count"

BASE_UNITS = {MASS: "g", VOLUME: "ml", COUNT: "pc"}

# unit -> (dimension, factor to the base unit of that dimension)
_UNITS = {
    "g": (MASS, 1.0),
    "kg": (MASS, 1000.0),
    "oz": (MASS, 28.349523125),
    "lb": (MASS, 453.59237),
    "ml": (VOLUME, 1.0),
    "l": (VOLUME, 1000.0),
    "tsp": (VOLUME, 5.0),
    "tbsp": (VOLUME, 15.0),
    "cup": (VOLUME, 240.0),
    "pc": (COUNT, 1.0),
}

_ALIASES = {
    "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg",
    "ounce": "oz", "ounces": "oz", "pound": "lb", "pounds": "lb", "lbs": "lb",
    "millilitre": "ml", "millilitres": "ml", "milliliter": "ml", "milliliters": "ml",
    "litre": "l", "litres": "l", "liter": "l", "liters": "l",
    "teaspoon": "tsp", "teaspoons": "tsp", "tablespoon": "tbsp", "tablespoons": "tbsp",
    "cups": "cup", "piece": "pc", "pieces": "pc", "pcs": "pc",
}

# Units used for display, largest first.
_DISPLAY = {MASS: ["kg", "g"], VOLUME: ["l", "ml"], COUNT: ["pc"]}


def normalize_unit(unit):
    """Return the canonical spelling of a unit ("Grams" -> "g")."""
    key = unit.strip().lower().rstrip(".")
    key = _ALIASES.get(key, key)
    if key not in _UNITS:
        raise UnitError("unknown unit: %r" % unit)
    return key


def is_unit(word):
    try:
        normalize_unit(word)
    except UnitError:
        return False
    return True


def dimension_of(unit):
    return _UNITS[normalize_unit(unit)][0]


def to_base(amount, unit):
    """Express an amount in the base unit of its dimension."""
    dimension, factor = _UNITS[normalize_unit(unit)]
    return amount * factor, BASE_UNITS[dimension]


def convert(amount, from_unit, to_unit):
    source = normalize_unit(from_unit)
    target = normalize_unit(to_unit)
    source_dimension, source_factor = _UNITS[source]
    target_dimension, target_factor = _UNITS[target]
    if source_dimension != target_dimension:
        raise UnitError("cannot convert %s (%s) to %s (%s)"
                        % (source, source_dimension, target, target_dimension))
    return amount * source_factor / target_factor


def humanize(amount, unit):
    """Pick the largest metric unit in which the amount is at least 1."""
    dimension = dimension_of(unit)
    base, base_unit = to_base(amount, unit)
    for candidate in _DISPLAY[dimension]:
        value = convert(base, base_unit, candidate)
        if abs(value) >= 1:
            return value, candidate
    return base, base_unit
