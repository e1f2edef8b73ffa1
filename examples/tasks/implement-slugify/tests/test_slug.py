from src.slug import slugify


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  many   spaces ") == "many-spaces"
    assert slugify("v2.0 release") == "v2-0-release"
