import pytest

from pantry.items import Ingredient, InsufficientStock, Pantry, Quantity, normalize_name, parse_number
from pantry.units import UnitError


def test_parse_number_handles_fractions():
    assert parse_number("3/4") == 0.75
    assert parse_number(" 2 ") == 2.0
    with pytest.raises(ValueError):
        parse_number("1/0")


def test_quantity_parse():
    assert Quantity.parse("200 g") == Quantity(200, "g")
    assert Quantity.parse("3") == Quantity(3, "pc")
    with pytest.raises(ValueError):
        Quantity.parse("2 big cups")


def test_negative_quantity_rejected():
    with pytest.raises(ValueError):
        Quantity(-1, "g")


def test_quantity_arithmetic_keeps_left_unit():
    total = Quantity(1, "kg") + Quantity(250, "g")
    assert total.unit == "kg"
    assert total.amount == pytest.approx(1.25)
    assert (Quantity(1, "l") - Quantity(250, "ml")).amount == pytest.approx(0.75)
    assert 3 * Quantity(2, "tbsp") == Quantity(6, "tbsp")


def test_subtracting_more_than_available_fails():
    with pytest.raises(ValueError):
        Quantity(100, "g") - Quantity(1, "kg")


def test_quantity_equality_and_ordering_across_units():
    assert Quantity(1000, "g") == Quantity(1, "kg")
    assert Quantity(1, "cup") != Quantity(1, "l")
    assert Quantity(1, "g") != Quantity(1, "ml")
    assert Quantity(500, "g") < Quantity(1, "kg")
    assert Quantity(1, "kg") >= Quantity(1000, "g")
    assert Quantity(2, "kg") > Quantity(1, "lb")
    with pytest.raises(UnitError):
        Quantity(1, "g") < Quantity(1, "ml")


def test_quantity_conversions():
    assert Quantity(2, "cup").to("ml") == Quantity(480, "ml")
    assert Quantity(2, "cup").base().unit == "ml"
    assert Quantity(2500, "ml").humanized() == Quantity(2.5, "l")
    assert repr(Quantity(2, "kg")) == "Quantity(2, 'kg')"


def test_ingredient_names_are_normalized():
    assert normalize_name("  Brown   Sugar ") == "brown sugar"
    assert Ingredient("Plain Flour", Quantity(1, "kg")).name == "plain flour"
    assert Ingredient("egg", Quantity(2)).scaled(1.5) == Ingredient("egg", Quantity(3))
    with pytest.raises(ValueError):
        Ingredient("  ", Quantity(1))


def test_pantry_add_merges_units():
    pantry = Pantry()
    pantry.add("Flour", Quantity(1, "kg"))
    pantry.add("flour", Quantity(500, "g"))
    assert pantry.amount_of("FLOUR") == Quantity(1.5, "kg")
    assert "flour" in pantry
    assert len(pantry) == 1
    assert pantry.items() == [("flour", Quantity(1.5, "kg"))]
    assert pantry.amount_of("sugar") is None


def test_pantry_take_and_remove_when_empty():
    pantry = Pantry()
    pantry.add("milk", Quantity(1, "l"))
    remaining = pantry.take("milk", Quantity(400, "ml"))
    assert remaining == Quantity(600, "ml")
    pantry.take("milk", Quantity(0.6, "l"))
    assert "milk" not in pantry
    assert pantry.names() == []


def test_pantry_take_too_much_raises_and_keeps_stock():
    pantry = Pantry()
    pantry.add("butter", Quantity(100, "g"))
    with pytest.raises(InsufficientStock) as info:
        pantry.take("butter", Quantity(250, "g"))
    assert info.value.name == "butter"
    assert info.value.available == Quantity(100, "g")
    assert pantry.amount_of("butter") == Quantity(100, "g")
    assert pantry.has("butter", Quantity(0.1, "kg"))
    assert not pantry.has("eggs", Quantity(1))
