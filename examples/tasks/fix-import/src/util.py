def banner(title):
    return "== " + title + " =="
