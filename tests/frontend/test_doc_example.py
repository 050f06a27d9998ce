"""docs/frontend.md's complete example runs as written and exports a model whose integers equal its fake
quantisation."""

import os
import re
import tempfile
import unittest

import support  # noqa: F401  (fails naming tools/install-deps.sh when a package is missing)

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "frontend.md")


def example_code() -> str:
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## A complete example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class DocExample(unittest.TestCase):
    def test_complete_example_trains_and_exports(self):
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                namespace = {"__name__": "doc_example"}
                exec(compile(example_code(), DOC, "exec"), namespace)
                result = namespace["result"]
                for role in ("onnx", "scenario", "file", "labels", "reference"):
                    self.assertTrue(os.path.isfile(result.files[role]), role)
            finally:
                os.chdir(cwd)
        for name, a in result.agreement.items():
            self.assertEqual(a.mismatches, 0, name)


if __name__ == "__main__":
    unittest.main()
