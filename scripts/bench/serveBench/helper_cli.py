"""The command line of the bench's helper processes (floor.py, standin.py): argparse with the examples after the
options, and a wrong argument refused in one line that points at --help."""
import argparse


def helper_parser(prog, description, example):
    """An ArgumentParser for ``prog`` whose help ends with ``example`` and whose errors are one line."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=f"examples:\n  {example}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.error = lambda message: parser.exit(2, f"{prog}: {message}; see --help\n")
    return parser
