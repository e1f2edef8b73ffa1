from src.inventory import add_item, remove_item, total_units

def test_flow():
    inv = {}
    add_item(inv, "bolt", 10)
    remove_item(inv, "bolt", 3)
    assert total_units(inv) == 7
