from src.shapes import circle_area, rectangle_area, total_area


def test_areas():
    assert rectangle_area(2, 3) == 6
    assert round(circle_area(1), 2) == 3.14
    assert total_area([1.0, 2.0]) == 3.0
