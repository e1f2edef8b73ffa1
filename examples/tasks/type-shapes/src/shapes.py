import math


def circle_area(radius):
    return math.pi * radius * radius


def rectangle_area(width, height):
    return width * height


def total_area(areas):
    return sum(areas)
