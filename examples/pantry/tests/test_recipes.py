import pytest

from pantry.items import Ingredient, Quantity
from pantry.recipes import Recipe, parse_ingredient, parse_recipe

PANCAKES = """
# Pancakes
serves 4
-- the classic
200 g flour
1/2 l milk
2 eggs
1 tbsp sugar
1 tsp sugar
"""


def test_parse_recipe():
    recipe = parse_recipe(PANCAKES)
    assert recipe.name == "Pancakes"
    assert recipe.servings == 4
    assert len(recipe.ingredients) == 5
    assert recipe.ingredients[1] == Ingredient("milk", Quantity(500, "ml"))
    assert recipe.ingredients[2] == Ingredient("eggs", Quantity(2, "pc"))


def test_parse_ingredient_without_unit_counts_pieces():
    assert parse_ingredient("3 garlic cloves") == Ingredient("garlic cloves", Quantity(3))
    assert parse_ingredient("2 cups rolled oats") == Ingredient("rolled oats", Quantity(2, "cup"))
    with pytest.raises(ValueError):
        parse_ingredient("salt")


def test_parse_recipe_reports_bad_line_number():
    with pytest.raises(ValueError, match="line 3"):
        parse_recipe("# Soup\nserves 2\nsome water\n")
    with pytest.raises(ValueError, match="title"):
        parse_recipe("serves 2\n1 l water\n")


def test_requirements_merge_repeated_ingredients():
    needs = parse_recipe(PANCAKES).requirements()
    assert needs["sugar"] == Quantity(20, "ml")
    assert needs["sugar"].unit == "tbsp"
    assert sorted(needs) == ["eggs", "flour", "milk", "sugar"]


def test_for_servings_scales_everything():
    recipe = parse_recipe(PANCAKES).for_servings(6)
    assert recipe.servings == 6
    assert recipe.requirements()["flour"] == Quantity(300, "g")
    assert recipe.requirements()["eggs"] == Quantity(3)


def test_scaling_does_not_modify_original():
    recipe = Recipe("Tea", 1).add("water", Quantity(250, "ml")).add("tea", Quantity(1))
    doubled = recipe.scaled(2)
    assert doubled.ingredients[0].quantity == Quantity(0.5, "l")
    assert recipe.ingredients[0].quantity == Quantity(250, "ml")


def test_invalid_servings_and_factor():
    with pytest.raises(ValueError):
        Recipe("Nothing", 0)
    with pytest.raises(ValueError):
        Recipe("Tea", 1).scaled(-2)
