def add_item(items, name, qty):
    items[name] = items.get(name, 0) + qty
    return items

def remove_item(items, name, qty):
    if items.get(name, 0) < qty:
        raise ValueError("not enough stock")
    items[name] -= qty
    return items

def total_units(items):
    return sum(items.values())
