"""The book's tooling, above the library: which notebooks the book has (`notebooks`), executing one with its
run key (`execute`), running many in a pool or on Slurm (`schedule`), the verdict summary page (`summary`),
publication (`publish`, `linkcheck`, `pdf`), the course editions (`course`) and a Sphinx extension
(`sphinxext`). Nothing in the library imports it."""
