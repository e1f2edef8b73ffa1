"""Recipes and their plain-text format.

A recipe file looks like this::

    # Pancakes
    serves 4
    200 g flour
    1/2 l milk
    2 eggs

The title line starts with "#", "serves N" sets the number of servings and
every other non-blank line is "<amount> [unit] <ingredient name>"; without a
known unit the amount counts pieces. Lines starting with "--" are comments.
"""

from pantry.items import Ingredient, Quantity, parse_number
from pantry.units import is_unit


class Recipe:
    def __init__(self, name, servings, ingredients=()):
        if servings <= 0:
            raise ValueError("servings must be positive, got %r" % servings)
        self.name = name
        self.servings = servings
        self.ingredients = list(ingredients)

    def add(self, name, quantity):
        self.ingredients.append(Ingredient(name, quantity))
        return self

    def scaled(self, factor):
        if factor <= 0:
            raise ValueError("scale factor must be positive, got %r" % factor)
        return Recipe(self.name, self.servings * factor,
                      [ingredient.scaled(factor) for ingredient in self.ingredients])

    def for_servings(self, servings):
        return self.scaled(servings / self.servings)

    def requirements(self):
        """Total quantity per ingredient name, merging repeated ingredients."""
        totals = {}
        for ingredient in self.ingredients:
            known = totals.get(ingredient.name)
            totals[ingredient.name] = (ingredient.quantity if known is None
                                       else known + ingredient.quantity)
        return totals

    def __repr__(self):
        return "Recipe(%r, servings=%r, %d ingredients)" % (
            self.name, self.servings, len(self.ingredients))


def parse_ingredient(line):
    parts = line.split()
    if len(parts) < 2:
        raise ValueError("expected '<amount> [unit] <name>': %r" % line)
    amount = parse_number(parts[0])
    if len(parts) >= 3 and is_unit(parts[1]):
        return Ingredient(" ".join(parts[2:]), Quantity(amount, parts[1]))
    return Ingredient(" ".join(parts[1:]), Quantity(amount, "pc"))


def parse_recipe(text):
    name = None
    servings = 1
    ingredients = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        if line.startswith("#"):
            name = line.lstrip("#").strip()
        elif line.lower().startswith("serves "):
            servings = int(line.split()[1])
        else:
            try:
                ingredients.append(parse_ingredient(line))
            except ValueError as error:
                raise ValueError("line %d: %s" % (number, error)) from error
    if not name:
        raise ValueError("recipe has no '# title' line")
    return Recipe(name, servings, ingredients)
