"""Plain-text rendering of quantities, recipes and shopping lists."""


def format_amount(amount):
    """At most two decimals, no trailing zeros: 2.0 -> "2", 1/3 -> "0.33"."""
    text = ("%.2f" % amount).rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_quantity(quantity, humanize=True):
    if humanize:
        quantity = quantity.humanized()
    if quantity.unit == "pc":
        return format_amount(quantity.amount)
    return "%s %s" % (format_amount(quantity.amount), quantity.unit)


def format_recipe(recipe):
    lines = ["# %s" % recipe.name, "serves %s" % format_amount(recipe.servings)]
    for ingredient in recipe.ingredients:
        lines.append("%s %s" % (format_quantity(ingredient.quantity, humanize=False),
                                ingredient.name))
    return "\n".join(lines)


def format_shopping_list(items, title="Shopping list"):
    if not items:
        return "%s: nothing to buy" % title
    width = max(len(item.name) for item in items)
    lines = ["%s:" % title]
    for item in items:
        line = "  %s  %s" % (item.name.ljust(width), format_quantity(item.quantity))
        if item.packs is not None:
            line += "  (%d pack%s)" % (item.packs, "" if item.packs == 1 else "s")
        lines.append(line)
    return "\n".join(lines)


def format_pantry(pantry):
    if not len(pantry):
        return "(empty pantry)"
    return "\n".join("%s: %s" % (name, format_quantity(quantity))
                     for name, quantity in pantry.items())
