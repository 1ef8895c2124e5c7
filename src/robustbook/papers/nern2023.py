"""What the book takes from Nern and Sharma (2023) as data: the numbers it prints, each with its location in the
paper (`001_068f2059c416f973.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

# Where each transcribed constant sits in the paper text: an anchor string that occurs there, optionally
# "[+N lines]" for the window after it that holds the numbers (tests/test_transcriptions.py); "NAME/key" locates
# one entry of a dict. The string entries of PAPER are formulas, not numbers: only thm41_factor is compared.
LOCATIONS: dict[str, str] = {
    "PAPER/thm41_factor": "**Theorem 4.1.** *The classifier [+4 lines]",
}

# Nern & Sharma state no measured numbers (the paper has no experiments; Sec. 5 asks for empirical
# corroboration). What the chapter compares with is the form of its statements, transcribed once here:
PAPER = {
    "thm32_factor": "||W||_2 C_1",  # Thm 3.2 (p. 4): L_adv - L <= ||W||_2 C_1 (1/n) sum max ||f(x+d) - f(x)|| + C_2 sqrt(log(2/rho)/(2n))
    "thm41_factor": 2.0,  # Thm 4.1 (p. 5): robust at x if min_j (F_y - F_j)(x) >= 2 ||W||_2 max ||f(x+d) - f(x)||
    "C_appendix_b": "2 c sqrt(c) M_2^2 / M_1",  # App. B: the Lipschitz constant of cross-entropy as printed
}
