"""A small hand-made course notebook with one exercise, for the tests of authoring and the CLI."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

SOLUTION = """def double(x):
    \"\"\"Return 2x.\"\"\"
    ### BEGIN SOLUTION
    # HINT: multiply by two
    y = x + x
    return y
    ### END SOLUTION
"""


def exercise_notebook():
    """Six cells: setup, a heading, the exercise (between solution markers), a test, a sub-heading, a checked cell."""
    nb = new_notebook(cells=[
        new_code_cell("%load_ext autoreload\n%autoreload 2\nimport math"),
        new_markdown_cell("# Doubling\nTwice a number."),
        new_code_cell(SOLUTION),
        new_code_cell("assert double(3) == 6\nprint('ok')"),
        new_markdown_cell("### A detail"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(double(2))"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [new_output("stream", name="stdout", text="x\n")]
            cell.execution_count = 1
    return nb
