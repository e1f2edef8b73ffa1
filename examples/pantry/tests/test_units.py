import pytest

from pantry.units import UnitError, convert, dimension_of, humanize, is_unit, normalize_unit, to_base


def test_normalize_unit_accepts_aliases_case_and_dots():
    assert normalize_unit("Grams") == "g"
    assert normalize_unit(" tbsp. ") == "tbsp"
    assert normalize_unit("Litres") == "l"


def test_unknown_unit_is_rejected():
    with pytest.raises(UnitError):
        normalize_unit("handful")
    assert not is_unit("eggs")
    assert is_unit("cups")


def test_convert_within_a_dimension():
    assert convert(1.5, "kg", "g") == pytest.approx(1500)
    assert convert(3, "tsp", "tbsp") == pytest.approx(1)
    assert convert(1, "lb", "oz") == pytest.approx(16)


def test_convert_across_dimensions_fails():
    with pytest.raises(UnitError, match="cannot convert g"):
        convert(1, "g", "ml")


def test_to_base_and_dimension():
    assert to_base(2, "cup") == (480.0, "ml")
    assert dimension_of("oz") == "mass"
    assert dimension_of("pieces") == "count"


def test_humanize_picks_largest_unit_at_least_one():
    assert humanize(1500, "g") == (1.5, "kg")
    assert humanize(250, "ml") == (250, "ml")
    assert humanize(4, "cup") == (960.0, "ml")
    assert humanize(0.5, "g") == (0.5, "g")
