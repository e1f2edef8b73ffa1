def largest(values):
    return max(values)
