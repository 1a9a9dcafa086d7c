"""The command line of this repository's Python scripts (training, debugging, benchmarks, sample data): argparse
with the script's description and examples, and a wrong argument refused in one line that points at --help
(exit 2) instead of argparse's usage block. Standard library only, so any script can import it."""
import argparse


def cli_parser(doc, epilog, prog=None):
    """An ArgumentParser whose help shows the first paragraph of ``doc`` (a module docstring) and ``epilog``
    verbatim, and whose errors are one line."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0], epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: {message}; see --help\n")
    return parser
