"""The bottom layer of the book: each paper's transcribed numbers (tables, hyperparameters, values read off
figures), each with its location in the paper, as plain data. Drivers and theory read them from here; nothing
here imports torch or the rest of the package."""
