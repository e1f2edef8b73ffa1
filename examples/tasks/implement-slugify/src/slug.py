def slugify(text):
    """Lower-case `text`, turn each run of characters that are not letters or
    digits into one hyphen, and strip hyphens from both ends."""
    raise NotImplementedError
