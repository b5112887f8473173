"""`python build.py` is `reportal build`: render every portal in sites/ into dist/."""
import sys

from reportal.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
