"""The one place the version is written: pyproject reads it, the package (__init__.py) and
`style-transfer --version` import it, `installer.py --zip` names the zip after it."""

__version__ = "0.1.0"
