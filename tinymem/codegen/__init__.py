"""Code generation: the IR plus its memory plan -> a self-contained C project."""

from tinymem.codegen.project import write_project

__all__ = ["write_project"]
