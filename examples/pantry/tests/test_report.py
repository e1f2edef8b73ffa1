from pantry import __all__ as public_names
from pantry.items import Pantry, Quantity
from pantry.planner import ShoppingItem, plan_shopping
from pantry.recipes import parse_recipe
from pantry.report import format_amount, format_pantry, format_quantity, format_recipe, format_shopping_list


def test_format_amount():
    assert format_amount(2.0) == "2"
    assert format_amount(0.5) == "0.5"
    assert format_amount(1 / 3) == "0.33"
    assert format_amount(0.001) == "0"


def test_format_quantity():
    assert format_quantity(Quantity(1500, "g")) == "1.5 kg"
    assert format_quantity(Quantity(1500, "g"), humanize=False) == "1500 g"
    assert format_quantity(Quantity(3)) == "3"
    assert format_quantity(Quantity(2, "tbsp")) == "30 ml"


def test_format_recipe_round_trips():
    text = "# Pancakes\nserves 4\n200 g flour\n0.5 l milk\n2 eggs"
    assert format_recipe(parse_recipe(text)) == text
    assert format_recipe(parse_recipe(text).for_servings(2)).splitlines()[1:3] == [
        "serves 2", "100 g flour"]


def test_format_shopping_list():
    items = [ShoppingItem("flour", Quantity(1200, "g"), packs=2),
             ShoppingItem("eggs", Quantity(2)),
             ShoppingItem("olive oil", Quantity(750, "ml"), packs=1)]
    assert format_shopping_list(items, title="Week 12") == (
        "Week 12:\n"
        "  flour      1.2 kg  (2 packs)\n"
        "  eggs       2\n"
        "  olive oil  750 ml  (1 pack)")


def test_format_empty_shopping_list_and_pantry():
    pantry = Pantry()
    assert format_shopping_list(plan_shopping([], pantry)) == "Shopping list: nothing to buy"
    assert format_pantry(pantry) == "(empty pantry)"
    pantry.add("sugar", Quantity(0.25, "kg"))
    pantry.add("Eggs", Quantity(6))
    assert format_pantry(pantry) == "eggs: 6\nsugar: 250 g"


def test_package_exports():
    import pantry

    for name in public_names:
        assert hasattr(pantry, name)
    assert pantry.__version__ == "0.3.0"
