from src.util import make_banner


def header(name):
    return make_banner(name.title())
