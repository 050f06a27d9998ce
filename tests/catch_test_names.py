"""Fails naming file:line for a Catch2 test name ctest cannot run: catch_discover_tests splits a name at ';'
and a name starting with '-' reads as an option, so such a test is registered as pieces that match no test
case, and ctest counts them as passed without running anything.

    catch_test_names.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

NAME = re.compile(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')


def main(root: Path) -> int:
    bad = []
    for path in sorted((root / "tests").rglob("*.cpp")):
        text = path.read_text(errors="replace")
        for m in NAME.finditer(text):
            name = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
            if ";" in name or name.startswith("-"):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path.relative_to(root)}:{line}: test name {name!r}: no ';', no leading '-'")
    for b in bad:
        print(b)
    print(f"{len(bad)} test names ctest cannot run" if bad else "every Catch2 test name runs under ctest")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
