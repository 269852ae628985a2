"""Sphinx configuration of the sklearn-gan-ad documentation.

Build (from the repository root, warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Needs the ``docs`` extra: ``pip install -e ".[docs]"``. The examples in
``examples/`` are executed by sphinx-gallery; each runs in well under 20 s
on two CPU cores. Nothing is downloaded while building.
"""

import contextlib
import hashlib
import io
import os
import runpy
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the package, even when not installed
sys.path.insert(0, str(DOCS))  # _figures and _gallery_order

from _figures import make_figures  # noqa: E402

import sklearn_gan_ad  # noqa: E402

# -- project -------------------------------------------------------------------------

project = "sklearn-gan-ad"
author = "sklearn-gan-ad developers"
copyright = "sklearn-gan-ad developers"
release = sklearn_gan_ad.__version__
version = ".".join(release.split(".")[:2])

# -- general -------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    # sphinx.ext.intersphinx is deliberately off: the build must not need the network
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_snippets",
    "_templates",
    "gen_modules/backreferences",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "**/*.codeobj.json",
    "**/*.md5",
]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc ----------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
autodoc_inherit_docstrings = False  # no skorch docstrings on AdversarialNet overrides
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- MyST ----------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- sphinx-gallery ------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # execute every plot_*.py
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "_gallery_order.ExampleOrder",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_gan_ad",),
    "reference_url": {"sklearn_gan_ad": None},
    "capture_repr": (),  # printed output only, no repr of a cell's last value
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "write_computation_times": False,  # no sg_execution_times.rst beside conf.py
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML ----------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-gan-ad {release}"
html_theme_options = {
    "logo": {"text": "sklearn-gan-ad"},
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
    # the examples' code and figures get the width of the "On this page" column
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "gen_modules/*": ["page-toc"],
        "auto_examples/*": [],
    },
    "navbar_persistent": ["search-button"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# single pages have no section navigation: give their width to the content
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "user_guide",
        "benchmarks",
        "performance",
        "reliability",
        "changelog",
    )
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["custom.css"]
toc_object_entries_show_parents = "hide"  # "fit()" rather than "GANAnomalyDetector.fit()"


# -- build-time artefacts ----------------------------------------------------------
#
# Generated into docs/gen_modules/ (git-ignored, like autosummary's pages):
# - figures/architecture.png, the schematic of the user guide;
# - quick_start.txt, the real output of _snippets/quick_start.py, so that the
#   getting-started page always shows what the current code prints. It is rerun
#   only when the snippet or the package's source changed.

GENERATED = DOCS / "gen_modules"


def _source_digest(*paths):
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _run_snippet(name):
    script = DOCS / "_snippets" / f"{name}.py"
    output = GENERATED / f"{name}.txt"
    stamp = GENERATED / f"{name}.sha256"
    digest = _source_digest(script, ROOT / "sklearn_gan_ad")
    if output.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        runpy.run_path(str(script), run_name="__main__")
    output.write_text(buffer.getvalue())
    stamp.write_text(digest)


def _generate(app):
    GENERATED.mkdir(exist_ok=True)
    figure = GENERATED / "figures" / "architecture.png"
    if not figure.exists() or figure.stat().st_mtime < (DOCS / "_figures.py").stat().st_mtime:
        make_figures(figure.parent)
    _run_snippet("quick_start")


def setup(app):
    app.connect("builder-inited", _generate)


os.environ.setdefault("MPLBACKEND", "Agg")
