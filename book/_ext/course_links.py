"""Link every chapter's exercises to its student edition (issue 18).

Each notebook page with an "Exercises" section gets one line under that heading: the student edition in Colab
(solutions removed, stubs and checks in place, built by `robustbook course build`) and the syllabus page. The
Colab address follows `robustbook.bookbuild.course.colab_link` (a test keeps the two in step); this module does not import
robustbook, so the book build does not load torch.
"""
from __future__ import annotations

from docutils import nodes
from sphinx import addnodes

REPO, BRANCH = "robustbook/robustbook", "course-edition"  # = robustbook.bookbuild.course.COLAB_REPO / COLAB_BRANCH


def colab_link(docname: str, repo: str = REPO, branch: str = BRANCH) -> str:
    """The Colab address of the student edition of the chapter `notebooks/<paper>/<name>`."""
    rel = docname.removeprefix("notebooks/")
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/student/{rel}.ipynb"


def add_links(app, doctree) -> None:
    """Insert the student-edition line under the Exercises heading of a notebook chapter."""
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None or title.parent is not section or title.astext().strip() != "Exercises":
            continue
        para = nodes.paragraph(classes=["robustbook-student-edition"])
        para += nodes.Text("Student edition of this chapter: ")
        para += nodes.reference("", "open in Colab", refuri=colab_link(docname, app.config.course_colab_repo,
                                                                       app.config.course_colab_branch))
        para += nodes.Text(" (solutions removed; fill the stubs and run the checks), or see the ")
        ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/book/course", refexplicit=True,
                                    refdoc=docname)
        ref += nodes.inline("", "course syllabus")
        para += ref
        para += nodes.Text(".")
        section.insert(section.index(title) + 1, para)
        return


def setup(app):
    """Sphinx entry point."""
    app.add_config_value("course_colab_repo", REPO, "html")
    app.add_config_value("course_colab_branch", BRANCH, "html")
    app.connect("doctree-read", add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
