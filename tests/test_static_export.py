"""Never an empty box: an explorer's output, exported to HTML with nbconvert, shows its picture without a kernel.

An executed notebook (a moons RoundExplorer, as saved without widget state) is
exported with nbconvert's HTML exporter; the page must hold the round's
picture (a PNG drawn by alviz's static fallback) and the line saying that the
live explorer needs a Jupyter kernel, and no script that fetches anything.
"""
import base64
import re

import nbformat
import pytest

from alviz.widgets._static import NEEDS_KERNEL

CODE = """\
import alviz
from sklearn.linear_model import LogisticRegression
ds = alviz.datasets.make_toy("moons", n=300, seed=0)
s = alviz.Session(ds, strategy="margin", model=LogisticRegression(max_iter=200), initial=10, budget=5, seed=0)
s.run(2)
alviz.widgets.RoundExplorer(s, ds.X)
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # as a notebook is usually saved: outputs kept, the live widget state not
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    return nb, body


def test_an_exported_explorer_shows_its_picture_and_says_it_needs_a_kernel(exported):
    nb, body = exported
    out = nb.cells[0].outputs[-1]
    assert "application/vnd.jupyter.widget-view+json" in out["data"]  # live where widgets run ...
    assert {"text/html", "image/png"} <= set(out["data"])  # ... a picture everywhere else
    assert 'class="alviz-static"' in body and 'class="alviz-needs-kernel"' in body
    assert "needs a running Jupyter kernel" in body
    imgs = re.findall(r'<img[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', body)
    assert imgs, "no picture in the exported page"
    png = base64.b64decode(imgs[0])
    assert png.startswith(b"\x89PNG") and len(png) > 5_000  # the round's picture, not an empty frame
    assert "margin · round 1" in body  # its title, as text next to it
    static = body[body.index('class="alviz-static"'):]
    static = static[:static.index("</div>")]
    assert "<script" not in static and not re.search(r"https?://", static)


def test_the_fallback_line_is_one_sentence_a_teacher_understands():
    assert NEEDS_KERNEL.startswith("This is a static picture.") and "Jupyter kernel" in NEEDS_KERNEL
