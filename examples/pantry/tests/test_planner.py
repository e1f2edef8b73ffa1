import pytest

from pantry.items import InsufficientStock, Pantry, Quantity
from pantry.planner import cook, packs_needed, plan_shopping, shortfall, total_requirements
from pantry.recipes import parse_recipe
from pantry.units import UnitError

PANCAKES = parse_recipe("# Pancakes\nserves 4\n200 g flour\n1/2 l milk\n2 eggs\n")
BREAD = parse_recipe("# Bread\nserves 8\n1 kg flour\n10 g salt\n600 ml water\n")


def stocked(**amounts):
    pantry = Pantry()
    for name, text in amounts.items():
        pantry.add(name, Quantity.parse(text))
    return pantry


def test_total_requirements_across_recipes():
    totals = total_requirements([PANCAKES, BREAD])
    assert totals["flour"] == Quantity(1.2, "kg")
    assert totals["eggs"] == Quantity(2)
    assert len(totals) == 5


def test_shortfall():
    assert shortfall(Quantity(1, "kg"), None) == Quantity(1, "kg")
    missing = shortfall(Quantity(1, "kg"), Quantity(2, "lb"))
    assert missing is not None and missing.unit == "kg"
    assert missing.amount == pytest.approx(0.09281526)
    assert shortfall(Quantity(1, "kg"), Quantity(1000, "g")) is None
    with pytest.raises(UnitError):
        shortfall(Quantity(1, "l"), Quantity(1, "kg"))


def test_packs_needed_rounds_up():
    assert packs_needed(Quantity(1.2, "kg"), Quantity(500, "g")) == 3
    assert packs_needed(Quantity(1, "kg"), Quantity(500, "g")) == 2
    assert packs_needed(Quantity(10, "g"), Quantity(1, "kg")) == 1
    with pytest.raises(ValueError):
        packs_needed(Quantity(1, "kg"), Quantity(0, "g"))


def test_plan_shopping_subtracts_stock():
    pantry = stocked(flour="700 g", eggs="6", water="5 l")
    items = plan_shopping([PANCAKES, BREAD], pantry)
    assert [item.name for item in items] == ["flour", "milk", "salt"]
    assert items[0].quantity == Quantity(500, "g")
    assert items[1].quantity == Quantity(0.5, "l")
    assert all(item.packs is None for item in items)


def test_plan_shopping_with_pack_sizes():
    items = plan_shopping([PANCAKES, BREAD], Pantry(),
                          pack_sizes={"flour": Quantity(1, "kg"), "eggs": Quantity(6)})
    by_name = {item.name: item for item in items}
    assert by_name["flour"].packs == 2
    assert by_name["eggs"].packs == 1
    assert by_name["milk"].packs is None


def test_plan_shopping_nothing_missing():
    pantry = stocked(flour="1 kg", milk="1 l", eggs="12")
    assert plan_shopping([PANCAKES], pantry) == []


def test_cook_takes_ingredients():
    pantry = stocked(flour="1 kg", milk="1 l", eggs="2")
    cook(PANCAKES, pantry)
    assert pantry.amount_of("flour") == Quantity(800, "g")
    assert pantry.amount_of("milk") == Quantity(500, "ml")
    assert "eggs" not in pantry


def test_cook_is_all_or_nothing():
    pantry = stocked(flour="1 kg", milk="100 ml", eggs="2")
    with pytest.raises(InsufficientStock) as info:
        cook(PANCAKES, pantry)
    assert info.value.name == "milk"
    assert pantry.amount_of("flour") == Quantity(1, "kg")
    assert pantry.amount_of("eggs") == Quantity(2)
