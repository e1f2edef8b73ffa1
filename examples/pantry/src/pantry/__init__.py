"""pantry: a small kitchen-inventory and recipe-scaling library.

Quantities carry a unit (mass, volume or count), recipes scale to any number
of servings, and the planner turns a week of recipes plus what is already in
the pantry into a shopping list.
"""

from pantry.items import Ingredient, InsufficientStock, Pantry, Quantity
from pantry.planner import ShoppingItem, cook, plan_shopping, total_requirements
from pantry.recipes import Recipe, parse_recipe
from pantry.report import format_quantity, format_recipe, format_shopping_list
from pantry.units import UnitError, convert

__version__ = "0.3.0"

__all__ = [
    "Ingredient", "InsufficientStock", "Pantry", "Quantity", "Recipe",
    "ShoppingItem", "UnitError", "convert", "cook", "format_quantity",
    "format_recipe", "format_shopping_list", "parse_recipe", "plan_shopping",
    "total_requirements",
]
