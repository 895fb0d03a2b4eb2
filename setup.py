"""Build hook: the wheel carries the top-level ``models/`` folder as ``narrative/models``.

``models/`` stays at the repository root, where the catalog, the narratives and the trained models
are edited and versioned. A wheel has no repository around it, so ``build_py`` copies the folder
into the package, where :func:`narrative.catalog.models_dir` looks first. Editable installs skip
the copy and read ``models/`` in place. Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).resolve().parent / "models"
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


class build_py_with_models(build_py):
    """``build_py`` plus a fresh copy of ``models/`` under ``build/lib/narrative/models``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "narrative" / "models"
        shutil.rmtree(target, ignore_errors=True)  # a file deleted from models/ must not linger in build/
        for source in sorted(MODELS.rglob("*")):
            relative = source.relative_to(MODELS)
            if source.is_file() and not SKIPPED_PARTS & set(relative.parts):
                self.mkpath(str((target / relative).parent))
                self.copy_file(str(source), str(target / relative))


setup(cmdclass={"build_py": build_py_with_models})
