"""Shopping lists: what a set of recipes needs minus what is in stock."""

import math

from pantry.items import InsufficientStock


class ShoppingItem:
    def __init__(self, name, quantity, packs=None):
        self.name = name
        self.quantity = quantity
        self.packs = packs

    def __repr__(self):
        return "ShoppingItem(%r, %r, packs=%r)" % (self.name, self.quantity, self.packs)


def total_requirements(recipes):
    totals = {}
    for recipe in recipes:
        for name, quantity in recipe.requirements().items():
            known = totals.get(name)
            totals[name] = quantity if known is None else known + quantity
    return totals


def shortfall(needed, available):
    """What is still missing, or None when the stock covers the need."""
    if available is None:
        return needed
    if needed <= available:
        return None
    return needed - available


def packs_needed(missing, pack):
    """Whole packs to buy to cover a missing quantity."""
    if pack.is_zero():
        raise ValueError("pack size must be positive")
    ratio = missing.to(pack.unit).amount / pack.amount
    return max(1, math.ceil(ratio - 1e-9))


def plan_shopping(recipes, pantry, pack_sizes=None):
    """The shopping list, sorted by ingredient name.

    pack_sizes maps an ingredient name to the quantity of one pack; items with
    a pack size also say how many packs to buy.
    """
    sizes = pack_sizes or {}
    items = []
    for name, needed in sorted(total_requirements(recipes).items()):
        missing = shortfall(needed, pantry.amount_of(name))
        if missing is None:
            continue
        pack = sizes.get(name)
        packs = packs_needed(missing, pack) if pack is not None else None
        items.append(ShoppingItem(name, missing, packs))
    return items


def cook(recipe, pantry):
    """Take a recipe's ingredients out of the pantry, all or nothing."""
    needs = recipe.requirements()
    for name, quantity in needs.items():
        if not pantry.has(name, quantity):
            raise InsufficientStock(name, quantity, pantry.amount_of(name))
    for name, quantity in needs.items():
        pantry.take(name, quantity)
