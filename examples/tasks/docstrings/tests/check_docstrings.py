import ast
import sys

tree = ast.parse(open("src/text.py").read())
missing = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and not ast.get_docstring(f)]
if missing:
    print("functions without a docstring:", ", ".join(missing))
    sys.exit(1)
print("every function has a docstring")
